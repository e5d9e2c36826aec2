// The addressable key and secret of each certificate version: get the key (public JWK), sign and verify with it,
// get the secret (PFX or PEM). Key transactions are charged to the weighted key budget of the key's size.
import { z } from "zod";
import { jsonResponse, route } from "../framework";
import type { EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";
import { keyBundle, secretBundle } from "./bundles";
import type { VersionRef } from "./certificate-store";
import { bundleContext, charge, decodeBase64, parseBody, vaultHandler } from "./http-support";
import type { VaultContext } from "./http-support";
import type { KeyOperation } from "./key-material";
import { signDigest, verifyDigest } from "./key-material";
import { keyFor, secretFor } from "./key-views";
import { throttleKeySize } from "./throttle-model";
import { VaultError } from "./vault-error";

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

function getKey(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
): EmulatorResponse {
  const ref = chargedKey(context, name, version, "get");
  return jsonResponse(200, keyBundle(bundleContext(request, context), ref.record, ref.version));
}

function sign(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
): EmulatorResponse {
  const body = parseBody(signSchema, request.body, "value");
  const ref = chargedKey(context, name, version, "sign");
  const signature = signDigest(ref.version.key, body.alg, decodeBase64(body.value, "value"));
  return jsonResponse(200, {
    kid: `${request.baseUrl}/keys/${ref.record.name}/${ref.version.version}`,
    value: signature.toString("base64url"),
  });
}

function verify(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
): EmulatorResponse {
  const body = parseBody(verifySchema, request.body, "value");
  const ref = chargedKey(context, name, version, "verify");
  const valid = verifyDigest(
    ref.version.key,
    body.alg,
    decodeBase64(body.digest, "digest"),
    decodeBase64(body.value, "value"),
  );
  return jsonResponse(200, { value: valid });
}

function getSecret(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
): EmulatorResponse {
  charge(context, { pool: "other" });
  const ref = secretFor(context.store, name, version);
  return jsonResponse(200, secretBundle(bundleContext(request, context), ref.record, ref.version));
}

export function keyAndSecretRoutes(context: VaultContext): EmulatorRoute[] {
  return [
    route({
      method: "GET",
      path: "/keys/{name}",
      operation: "keys.get",
      handler: vaultHandler(context, (request) => getKey(request, context, request.params.name, "")),
    }),
    route({
      method: "GET",
      path: "/keys/{name}/{version}",
      operation: "keys.get",
      handler: vaultHandler(context, (request) =>
        getKey(request, context, request.params.name, request.params.version),
      ),
    }),
    // A CryptographyClient made from a versionless key id asks for /keys/{name}//sign: "" means the latest.
    route({
      method: "POST",
      path: "/keys/{name}//sign",
      operation: "keys.sign",
      handler: vaultHandler(context, (request) => sign(request, context, request.params.name, "")),
    }),
    route({
      method: "POST",
      path: "/keys/{name}/{version}/sign",
      operation: "keys.sign",
      handler: vaultHandler(context, (request) => sign(request, context, request.params.name, request.params.version)),
    }),
    route({
      method: "POST",
      path: "/keys/{name}//verify",
      operation: "keys.verify",
      handler: vaultHandler(context, (request) => verify(request, context, request.params.name, "")),
    }),
    route({
      method: "POST",
      path: "/keys/{name}/{version}/verify",
      operation: "keys.verify",
      handler: vaultHandler(context, (request) =>
        verify(request, context, request.params.name, request.params.version),
      ),
    }),
    route({
      method: "GET",
      path: "/secrets/{name}",
      operation: "secrets.get",
      handler: vaultHandler(context, (request) => getSecret(request, context, request.params.name, "")),
    }),
    route({
      method: "GET",
      path: "/secrets/{name}/{version}",
      operation: "secrets.get",
      handler: vaultHandler(context, (request) =>
        getSecret(request, context, request.params.name, request.params.version),
      ),
    }),
  ];
}
