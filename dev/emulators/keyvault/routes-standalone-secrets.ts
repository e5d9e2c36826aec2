// Routes of the standalone secrets (standalone-secrets.ts): PUT /secrets/{name}, GET /secrets/{name}[/{version}],
// DELETE /secrets/{name}, GET and DELETE /deletedsecrets/{name}, POST /deletedsecrets/{name}/recover.
import { z } from "zod";
import { emptyResponse, jsonResponse } from "../framework";
import type { EmulatorRoute } from "../framework";
import { charge, parseBody } from "./http-support";
import type { VaultContext } from "./http-support";
import type { DeletedSecret, SecretVersion, StandaloneSecrets } from "./standalone-secrets";
import { VaultError, badParameter, notFound } from "./vault-error";
import { OTHER_POOL, vaultRoute, versionedRoutes } from "./vault-routes";
import type { VersionHandler } from "./vault-routes";

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const unixSeconds = z.number().int().nonnegative();
const setSchema = z.object({
  value: z.string(),
  contentType: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  attributes: z
    .object({ enabled: z.boolean().optional(), nbf: unixSeconds.optional(), exp: unixSeconds.optional() })
    .optional(),
});

interface BundleOptions {
  readonly baseUrl: string;
  readonly recoverableDays: number;
  readonly withValue: boolean;
}

function bundle(options: BundleOptions, name: string, v: SecretVersion): Record<string, unknown> {
  return {
    ...(options.withValue ? { value: v.value } : {}),
    id: `${options.baseUrl}/secrets/${name}/${v.version}`,
    ...(v.contentType === undefined ? {} : { contentType: v.contentType }),
    ...(v.tags === undefined ? {} : { tags: v.tags }),
    attributes: {
      enabled: v.enabled,
      ...(v.nbf === undefined ? {} : { nbf: v.nbf }),
      ...(v.exp === undefined ? {} : { exp: v.exp }),
      created: v.created,
      updated: v.created,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: options.recoverableDays,
    },
  };
}

/** A deleted secret's bundle: its latest version's properties, never its value, and the recovery facts. */
function deletedBundle(options: BundleOptions, deleted: DeletedSecret): Record<string, unknown> {
  const latest = deleted.entry.versions.at(-1);
  if (latest === undefined) throw notFound("Secret", deleted.entry.name);
  return {
    ...bundle({ ...options, withValue: false }, deleted.entry.name, latest),
    recoveryId: `${options.baseUrl}/deletedsecrets/${deleted.entry.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
  };
}

/**
 * Declare before the certificate secret routes, whose handler (`certificateSecret`) answers a get for a name that is
 * not a standalone secret.
 */
export function standaloneSecretRoutes(
  context: VaultContext,
  secrets: StandaloneSecrets,
  certificateSecret: VersionHandler,
): EmulatorRoute[] {
  const options = (baseUrl: string, withValue = true): BundleOptions => ({
    baseUrl,
    recoverableDays: context.store.retentionDays,
    withValue,
  });
  const get: VersionHandler = (request, ctx, name, version) => {
    const found = secrets.get(name, version);
    if (found === undefined) return certificateSecret(request, ctx, name, version);
    return jsonResponse(200, bundle(options(request.baseUrl), found.name, found.version));
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
        const set = secrets.set(name, body);
        return jsonResponse(200, bundle(options(request.baseUrl), set.name, set.version));
      },
    }),
    vaultRoute(context, {
      method: "DELETE",
      path: "/secrets/{name}",
      operation: "secrets.delete",
      charge: OTHER_POOL,
      handler: (request, ctx) => {
        const name = request.params.name;
        if (ctx.store.find(name) !== undefined) {
          // Guess: Key Vault's answer to deleting a certificate's secret directly is undocumented.
          throw new VaultError(409, "Conflict", `Secret ${name} is managed by a certificate and cannot be deleted.`);
        }
        const deleted = secrets.delete(name);
        if (deleted === undefined) throw notFound("Secret", name);
        return jsonResponse(200, deletedBundle(options(request.baseUrl), deleted));
      },
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/deletedsecrets/{name}",
      operation: "secrets.getDeleted",
      charge: OTHER_POOL,
      handler: (request) =>
        jsonResponse(200, deletedBundle(options(request.baseUrl), secrets.deleted(request.params.name))),
    }),
    vaultRoute(context, {
      method: "DELETE",
      path: "/deletedsecrets/{name}",
      operation: "secrets.purge",
      charge: OTHER_POOL,
      handler: (request) => {
        secrets.purge(request.params.name);
        return emptyResponse(204);
      },
    }),
    vaultRoute(context, {
      method: "POST",
      path: "/deletedsecrets/{name}/recover",
      operation: "secrets.recover",
      charge: OTHER_POOL,
      handler: (request) => {
        const entry = secrets.recover(request.params.name);
        const latest = entry.versions.at(-1);
        if (latest === undefined) throw notFound("Secret", entry.name);
        return jsonResponse(200, bundle(options(request.baseUrl, false), entry.name, latest));
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
