// The tenant's token signing keys (JWKS), fetched from the Entra ID authority with jose's remote key set: cached,
// and fetched again when a token names a key id the cache does not hold (keys roll over). TLS to the authority
// trusts P2S_TRUSTED_CA_FILE as well (the sandbox's identity emulator); verification is never turned off.
import { request as httpsRequest } from "node:https";
import { createRemoteJWKSet, customFetch } from "jose";
import type { FetchImplementation, JWTVerifyGetKey } from "jose";
import type { Config } from "../config";
import { tlsClientOptions } from "./azure-options";

export type SigningKeysConfig = Pick<Config, "ENTRA_AUTHORITY_HOST" | "P2S_TRUSTED_CA_FILE">;

/** A JWKS is a few kilobytes; anything far larger is not one. */
const MAX_JWKS_BYTES = 1024 * 1024;

/** Where Entra ID publishes a tenant's signing keys (the jwks_uri of its v2 OpenID configuration). */
export function jwksUrl(authorityHost: string, tenantId: string): string {
  return `${authorityHost}/${encodeURIComponent(tenantId)}/discovery/v2.0/keys`;
}

const keySets = new Map<string, JWTVerifyGetKey>();

/** The key resolver for a tenant, one per JWKS URL and trusted CA, so its cache lives as long as the process. */
export function entraSigningKeys(config: SigningKeysConfig, tenantId: string): JWTVerifyGetKey {
  const url = jwksUrl(config.ENTRA_AUTHORITY_HOST, tenantId);
  const cacheKey = `${url}|${config.P2S_TRUSTED_CA_FILE ?? ""}`;
  let keys = keySets.get(cacheKey);
  if (keys === undefined) {
    keys = remoteKeySet(url, tlsClientOptions(config).tlsOptions?.ca);
    keySets.set(cacheKey, keys);
  }
  return keys;
}

/**
 * jose's remote key set: keys kept 10 minutes, fetched again at once for an unknown kid unless the last fetch was
 * less than `cooldownMs` ago (so a flood of forged kids costs one fetch per cooldown, not one each).
 */
export function remoteKeySet(url: string, ca: string | undefined, cooldownMs = 30_000): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), {
    cooldownDuration: cooldownMs,
    timeoutDuration: 5_000,
    ...(ca === undefined ? {} : { [customFetch]: fetchTrusting(ca) }),
  });
}

/** A GET through node:https that trusts `ca` besides the system roots (Node's fetch takes no CA option). */
function fetchTrusting(ca: string): FetchImplementation {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      options.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const req = httpsRequest(url, { method: "GET", headers, ca, signal: options.signal }, (res) => {
        const chunks: Buffer[] = [];
        let total = 0;
        res.on("data", (chunk: Buffer) => {
          total += chunk.length;
          if (total > MAX_JWKS_BYTES) {
            res.destroy(new Error(`the JWKS at ${url} is larger than ${MAX_JWKS_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", reject);
        res.on("end", () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === "string") responseHeaders.set(name, value);
          }
          // Redirects are not followed (jose asks for redirect: "manual"): a 3xx is simply not a JWKS.
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: responseHeaders }));
        });
      });
      req.on("error", reject);
      req.end();
    });
}
