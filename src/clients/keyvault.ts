// Typed access to Key Vault: the certificate, key and secret clients built with the app's credential, trusted CA and
// cloud settings. The CA's private key is only ever used through keys/sign; it never leaves the vault.
import { CertificateClient } from "@azure/keyvault-certificates";
import type { CertificateClientOptions } from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import type { KeyClientOptions, SignatureAlgorithm } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { Config } from "../config";
import { isLoopbackUrl } from "../config";
import { tlsClientOptions } from "./azure-options";
import { getCredential } from "./credential";
import { keyVaultThrottlePolicy, systemClock } from "./key-vault-throttle-policy";
import type { KeyVaultClock } from "./key-vault-throttle-policy";

export type KeyVaultConfig = Pick<
  Config,
  "KEY_VAULT_URL" | "P2S_CREDENTIAL" | "AZURE_CLIENT_ID" | "P2S_TRUSTED_CA_FILE" | "KEY_VAULT_DNS_SUFFIX"
>;

export interface KeyVaultClients {
  readonly vaultUrl: string;
  /** Paces creates and times the 429 backoff (the system clock but in tests). */
  readonly clock: KeyVaultClock;
  readonly certificates: CertificateClient;
  /**
   * A certificate client whose requests are each sent once: no SDK retries, no 429 backoff. Certificate creates go
   * through it, so a create is only ever sent again by code that has re-read the vault (certificate-create.ts).
   */
  readonly certificateCreates: CertificateClient;
  readonly keys: KeyClient;
  readonly secrets: SecretClient;
  /** A signer bound to one key (versioned id preferred, so a rotated key never signs by surprise). */
  cryptography(keyId: string): CryptographyClient;
}

/**
 * Key Vault's merge takes `tags` in its body (CertificateMergeParameters), but CertificateClient.mergeCertificate
 * sends only the chain. A caller puts the tags in this header (`requestOptions.headers`); the policy below moves
 * them into the merge body and removes the header, so it never goes on the wire.
 */
export const MERGE_TAGS_HEADER = "x-p2s-merge-tags";

/** Encodes tags for MERGE_TAGS_HEADER. */
export function mergeTagsHeader(tags: Readonly<Record<string, string>>): Record<string, string> {
  return { [MERGE_TAGS_HEADER]: Buffer.from(JSON.stringify(tags), "utf8").toString("base64url") };
}

const MERGE_PATH = /\/certificates\/[^/]+\/pending\/merge$/;

const mergeTagsPolicy: PipelinePolicy = {
  name: "p2sMergeTagsPolicy",
  sendRequest: async (request, next) => {
    const encoded = request.headers.get(MERGE_TAGS_HEADER);
    if (encoded === undefined) return next(request);
    request.headers.delete(MERGE_TAGS_HEADER);
    if (request.method !== "POST" || !MERGE_PATH.test(new URL(request.url).pathname)) {
      throw new Error(`${MERGE_TAGS_HEADER} is only for certificate merges`);
    }
    if (typeof request.body !== "string") throw new Error("the merge body is not JSON text");
    const body = JSON.parse(request.body) as Record<string, unknown>;
    body.tags = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as unknown;
    request.body = JSON.stringify(body);
    return next(request);
  },
};

/** Client options for every Key Vault client. */
function clientOptions(config: KeyVaultConfig, clock: KeyVaultClock): CertificateClientOptions & KeyClientOptions {
  return {
    ...tlsClientOptions(config),
    // The challenge names the vault's resource (https://vault.azure.net and the sovereign equivalents); only the
    // loopback emulator, which config allows solely with the local credential, cannot match it.
    disableChallengeResourceVerification: isLoopbackUrl(config.KEY_VAULT_URL),
    retryOptions: { maxRetries: 6, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 },
    // perCall: it runs once, before the challenge policy stores the body for its authenticated resend. The throttle
    // backoff is perCall too: it sees what the SDK's retries leave (the bare 429s they never retry).
    additionalPolicies: [
      { policy: mergeTagsPolicy, position: "perCall" },
      { policy: keyVaultThrottlePolicy(clock), position: "perCall" },
    ],
  };
}

/** The same options, with nothing that sends a request again (for certificate creates). */
function sendOnceOptions(config: KeyVaultConfig): CertificateClientOptions {
  return {
    ...tlsClientOptions(config),
    disableChallengeResourceVerification: isLoopbackUrl(config.KEY_VAULT_URL),
    retryOptions: { maxRetries: 0 },
  };
}

const cache = new Map<string, KeyVaultClients>();

/** The process's Key Vault clients for `config` (built once, then shared). */
export function keyVaultClients(config: KeyVaultConfig): KeyVaultClients {
  const key = `${config.KEY_VAULT_URL}|${config.P2S_CREDENTIAL}|${config.AZURE_CLIENT_ID ?? ""}|${config.P2S_TRUSTED_CA_FILE ?? ""}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const clients = createKeyVaultClients(config);
  cache.set(key, clients);
  return clients;
}

/**
 * New Key Vault clients, not shared (tests that stand for several app instances, or that drive time with `clock`).
 */
export function createKeyVaultClients(
  config: KeyVaultConfig,
  options: { readonly clock?: KeyVaultClock } = {},
): KeyVaultClients {
  const credential = getCredential(config);
  const clock = options.clock ?? systemClock;
  const clientOpts = clientOptions(config, clock);
  const vaultUrl = config.KEY_VAULT_URL;
  const clients: KeyVaultClients = {
    vaultUrl,
    clock,
    certificates: new CertificateClient(vaultUrl, credential, clientOpts),
    certificateCreates: new CertificateClient(vaultUrl, credential, sendOnceOptions(config)),
    keys: new KeyClient(vaultUrl, credential, clientOpts),
    secrets: new SecretClient(vaultUrl, credential, clientOpts),
    cryptography: (keyId) => new CryptographyClient(keyId, credential, clientOpts),
  };
  return clients;
}

/** Signs a digest with a Key Vault key; returns a copy (SDK buffers may be views on a shared pool). */
export async function signDigest(
  clients: KeyVaultClients,
  keyId: string,
  algorithm: SignatureAlgorithm,
  digest: Uint8Array,
): Promise<Uint8Array> {
  const result = await clients.cryptography(keyId).sign(algorithm, digest);
  return new Uint8Array(result.result);
}

/** Probes the vault (health check): lists one certificate page. */
export async function probeKeyVault(config: KeyVaultConfig, abortSignal: AbortSignal): Promise<string> {
  const clients = keyVaultClients(config);
  await clients.certificates.listPropertiesOfCertificates({ abortSignal }).byPage({ maxPageSize: 1 }).next();
  return `vault ${new URL(config.KEY_VAULT_URL).host} answered`;
}
