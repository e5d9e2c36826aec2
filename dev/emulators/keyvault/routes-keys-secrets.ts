// The addressable key and secret of each certificate version: get the key (public JWK), sign and verify with it,
// get the secret (PFX or PEM). Key transactions are charged to the weighted key budget of the key's size.
import { z } from "zod";
import { jsonResponse } from "../framework";
import type { EmulatorRoute } from "../framework";
import { keyBundle, secretBundle } from "./bundles";
import type { VersionRef } from "./certificate-store";
import { bundleContext, charge, decodeBase64, parseBody } from "./http-support";
import type { VaultContext } from "./http-support";
import type { KeyOperation } from "./key-material";
import { signDigest, verifyDigest } from "./key-material";
import { keyFor, secretFor } from "./key-views";
import { throttleKeySize } from "./throttle-model";
import { VaultError } from "./vault-error";
import { OTHER_POOL, versionedRoutes } from "./vault-routes";
import type { VersionHandler } from "./vault-routes";

const signSchema = z.object({ alg: z.string().min(1), value: z.string() });
const verifySchema = z.object({ alg: z.string().min(1), digest: z.string(), value: z.string() });

/** Looks the key up for `operation`, charging its size's key budget, or the general one when it is not found. */
function chargedKey(context: VaultContext, name: string, version: string, operation: "get" | KeyOperation): VersionRef {
  let ref: VersionRef;
  try {
    ref = keyFor(context.store, name, version, operation);
  } catch (error) {
    if (error instanceof VaultError && error.status !== 429) charge(context, { pool: "other" });
    throw error;
  }
  charge(context, {
    pool: "keyOther",
    keySize: throttleKeySize(ref.version.key.size),
    hsm: ref.version.keyType === "RSA-HSM",
  });
  return ref;
}

const getKey: VersionHandler = (request, context, name, version) => {
  const ref = chargedKey(context, name, version, "get");
  return jsonResponse(200, keyBundle(bundleContext(request, context), ref.record, ref.version));
};

const sign: VersionHandler = (request, context, name, version) => {
  const body = parseBody(signSchema, request.body, "value");
  const ref = chargedKey(context, name, version, "sign");
  const signature = signDigest(ref.version.key, body.alg, decodeBase64(body.value, "value"));
  return jsonResponse(200, {
    kid: `${request.baseUrl}/keys/${ref.record.name}/${ref.version.version}`,
    value: signature.toString("base64url"),
  });
};

const verify: VersionHandler = (request, context, name, version) => {
  const body = parseBody(verifySchema, request.body, "value");
  const ref = chargedKey(context, name, version, "verify");
  const valid = verifyDigest(
    ref.version.key,
    body.alg,
    decodeBase64(body.digest, "digest"),
    decodeBase64(body.value, "value"),
  );
  return jsonResponse(200, { value: valid });
};

export const getSecret: VersionHandler = async (request, context, name, version) => {
  const ref = secretFor(context.store, name, version);
  return jsonResponse(200, await secretBundle(bundleContext(request, context), ref.record, ref.version));
};

export function keyAndSecretRoutes(context: VaultContext): EmulatorRoute[] {
  return [
    ...versionedRoutes(
      context,
      { method: "GET", latestPath: "/keys/{name}", versionPath: "/keys/{name}/{version}", operation: "keys.get" },
      getKey,
    ),
    // A CryptographyClient made from a versionless key id asks for /keys/{name}//sign: "" means the latest.
    ...versionedRoutes(
      context,
      {
        method: "POST",
        latestPath: "/keys/{name}//sign",
        versionPath: "/keys/{name}/{version}/sign",
        operation: "keys.sign",
      },
      sign,
    ),
    ...versionedRoutes(
      context,
      {
        method: "POST",
        latestPath: "/keys/{name}//verify",
        versionPath: "/keys/{name}/{version}/verify",
        operation: "keys.verify",
      },
      verify,
    ),
    ...versionedRoutes(
      context,
      {
        method: "GET",
        latestPath: "/secrets/{name}",
        versionPath: "/secrets/{name}/{version}",
        operation: "secrets.get",
        charge: OTHER_POOL,
      },
      getSecret,
    ),
  ];
}
