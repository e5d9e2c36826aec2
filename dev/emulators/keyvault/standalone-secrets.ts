// Standalone secrets (SecretClient.setSecret / getSecret), next to the secrets that certificates own: set makes a new
// version, get answers the latest or a given version, and a get for a name no standalone secret has falls through to
// the certificate's secret. Setting a name a certificate owns is refused (409 Conflict: a guess, Key Vault's exact
// answer is undocumented). Not emulated: list, update, delete, expiry attributes.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { jsonResponse } from "../framework";
import type { EmulatorRoute } from "../framework";
import { charge, parseBody } from "./http-support";
import type { VaultContext } from "./http-support";
import { VaultError, badParameter, notFound } from "./vault-error";
import { OTHER_POOL, vaultRoute, versionedRoutes } from "./vault-routes";
import type { VersionHandler } from "./vault-routes";

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const setSchema = z.object({
  value: z.string(),
  contentType: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

interface SecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType: string | undefined;
  readonly tags: Readonly<Record<string, string>> | undefined;
  readonly created: number;
}

export class StandaloneSecrets {
  readonly #secrets = new Map<string, { name: string; versions: SecretVersion[] }>();

  set(name: string, body: z.infer<typeof setSchema>, nowSeconds: number): { name: string; version: SecretVersion } {
    const key = name.toLowerCase();
    const entry = this.#secrets.get(key) ?? { name, versions: [] };
    const version: SecretVersion = {
      version: randomBytes(16).toString("hex"),
      value: body.value,
      contentType: body.contentType,
      tags: body.tags,
      created: nowSeconds,
    };
    entry.versions.push(version);
    this.#secrets.set(key, entry);
    return { name: entry.name, version };
  }

  /** The version ("" for the latest), or undefined when no standalone secret has this name. */
  get(name: string, version: string): { name: string; version: SecretVersion } | undefined {
    const entry = this.#secrets.get(name.toLowerCase());
    if (entry === undefined) return undefined;
    const found = version === "" ? entry.versions.at(-1) : entry.versions.find((v) => v.version === version);
    if (found === undefined) throw notFound("Secret", name, version);
    return { name: entry.name, version: found };
  }

  clear(): void {
    this.#secrets.clear();
  }
}

function bundle(baseUrl: string, recoverableDays: number, name: string, v: SecretVersion): Record<string, unknown> {
  return {
    value: v.value,
    id: `${baseUrl}/secrets/${name}/${v.version}`,
    ...(v.contentType === undefined ? {} : { contentType: v.contentType }),
    ...(v.tags === undefined ? {} : { tags: v.tags }),
    attributes: {
      enabled: true,
      created: v.created,
      updated: v.created,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays,
    },
  };
}

/**
 * PUT /secrets/{name} and GET /secrets/{name}[/{version}]; declare before the certificate secret routes, whose
 * handler (`certificateSecret`) answers a get for a name that is not a standalone secret.
 */
export function standaloneSecretRoutes(
  context: VaultContext,
  secrets: StandaloneSecrets,
  certificateSecret: VersionHandler,
): EmulatorRoute[] {
  const get: VersionHandler = (request, ctx, name, version) => {
    const found = secrets.get(name, version);
    if (found === undefined) return certificateSecret(request, ctx, name, version);
    return jsonResponse(200, bundle(request.baseUrl, ctx.store.retentionDays, found.name, found.version));
  };
  return [
    vaultRoute(context, {
      method: "PUT",
      path: "/secrets/{name}",
      operation: "secrets.set",
      handler: (request, ctx) => {
        const name = request.params.name;
        if (!NAME.test(name)) throw badParameter(`The secret name '${name}' is invalid: letters, digits and dashes.`);
        const body = parseBody(setSchema, request.body, "value");
        charge(ctx, { pool: "secretCreate" });
        if (ctx.store.find(name) !== undefined) {
          throw new VaultError(409, "Conflict", `Secret ${name} is managed by a certificate and cannot be set.`);
        }
        const set = secrets.set(name, body, ctx.store.nowSeconds());
        return jsonResponse(200, bundle(request.baseUrl, ctx.store.retentionDays, set.name, set.version));
      },
    }),
    ...versionedRoutes(
      context,
      {
        method: "GET",
        latestPath: "/secrets/{name}",
        versionPath: "/secrets/{name}/{version}",
        operation: "secrets.get",
        charge: OTHER_POOL,
      },
      get,
    ),
  ];
}
