// Key Vault certificate operations as the CA needs them, each safe to repeat: create or resume the pending operation
// (creates paced to the vault's budget, never re-sent blindly: certificate-create.ts), merge (confirmed from what the
// vault holds when the answer is ambiguous), discard a pending operation, and put back missing tags. Key Vault
// answers 409 "There was a conflict while updating/deleting pending certificate ..." to operations on a pending
// certificate that overlap (azure-sdk-for-js #35011, #24086): merges and discards wait and try again, a bounded
// number of times.
import { RestError } from "@azure/core-rest-pipeline";
import type { CertificatePolicy } from "@azure/keyvault-certificates";
import { createUnlessPresent, OPERATION_POLL_MS } from "./certificate-create";
import type { OperationPoller } from "./certificate-create";
import { CaStateError } from "./ca-model";
import type { CreatePacingConfig } from "./create-pacing";
import { mergeTagsHeader } from "./keyvault";
import type { KeyVaultClients } from "./keyvault";

export function isStatus(error: unknown, status: number, code?: string): boolean {
  return error instanceof RestError && error.statusCode === status && (code === undefined || error.code === code);
}

/** Waits before the retries of an operation refused with a pending-certificate conflict (not documented: a guess). */
export const PENDING_CONFLICT_DELAYS_MS: readonly number[] = [500, 1_000, 2_000, 4_000, 8_000];

type PacingConfig = CreatePacingConfig;

export { OPERATION_POLL_MS };
export type { OperationPoller };

/**
 * Starts a certificate operation, or picks up the one pending under that name (found before the create is sent, or
 * named by its 409). The create is paced and never re-sent blindly (certificate-create.ts).
 */
export async function beginOrResume(
  kv: KeyVaultClients,
  config: PacingConfig,
  name: string,
  policy: CertificatePolicy,
  tags: Readonly<Record<string, string>>,
): Promise<OperationPoller> {
  const started = await createUnlessPresent(kv, config, name, policy, tags, () => operationInProgress(kv, name));
  return started.kind === "present" ? started.value : started.poller;
}

/** The operation pending under `name`, when one is in progress. */
export async function operationInProgress(kv: KeyVaultClients, name: string): Promise<OperationPoller | undefined> {
  let poller: OperationPoller;
  try {
    poller = await kv.certificates.getCertificateOperation(name, { intervalInMs: OPERATION_POLL_MS });
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  return poller.getOperationState().certificateOperation?.status === "inProgress" ? poller : undefined;
}

/** Starts a CSR-flow certificate, or returns the CSR of the one already pending under that name. */
export async function createOrResumePending(
  kv: KeyVaultClients,
  config: PacingConfig,
  name: string,
  policy: CertificatePolicy,
  tags: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  const poller = await beginOrResume(kv, config, name, policy, tags);
  const operation = poller.getOperationState().certificateOperation;
  const csr = operation?.csr;
  if (csr === undefined || csr.length === 0) {
    throw new CaStateError(
      `Key Vault returned no CSR for pending certificate ${name} (status ${operation?.status ?? "?"})`,
    );
  }
  return new Uint8Array(csr);
}

/**
 * Runs `operation` on a pending certificate, again after a pause while Key Vault answers 409 (a conflicting
 * operation on the pending certificate), unless `settled()` says the work is done after all.
 */
async function retryPendingConflict(
  kv: KeyVaultClients,
  operation: () => Promise<unknown>,
  settled: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await operation();
      return;
    } catch (error) {
      const delay = PENDING_CONFLICT_DELAYS_MS[attempt];
      if (!isStatus(error, 409) || delay === undefined) throw error;
      if (await settled()) return;
      await kv.clock.sleep(delay);
    }
  }
}

/**
 * Merges `chain` into the pending operation with `tags` in the merge body. An answer that says nothing is pending
 * any more (403, 404) or that is refused (400, 409) counts as success only when `merged()` confirms the certificate
 * meant here is in place; a 409 is otherwise a conflict on the pending certificate, tried again after a pause. Any
 * other refusal stands (and nothing is retired on the strength of it).
 */
export async function mergeVerified(
  kv: KeyVaultClients,
  name: string,
  chain: Uint8Array[],
  tags: Readonly<Record<string, string>>,
  merged: () => Promise<boolean>,
): Promise<void> {
  try {
    await retryPendingConflict(
      kv,
      () => kv.certificates.mergeCertificate(name, chain, { requestOptions: { headers: mergeTagsHeader(tags) } }),
      merged,
    );
  } catch (error) {
    const settled = [400, 403, 404, 409].some((status) => isStatus(error, status));
    if (settled && (await merged())) return;
    throw error;
  }
}

/** Deletes the pending operation of `name` (gone already is fine). */
export async function discardOperation(kv: KeyVaultClients, name: string): Promise<void> {
  let gone = false;
  await retryPendingConflict(
    kv,
    async () => {
      try {
        await kv.certificates.deleteCertificateOperation(name);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        gone = true;
      }
    },
    () => Promise.resolve(gone),
  );
}

/** Puts back on `version` any of the `wanted` tags it lacks (keeping its others). */
export async function ensureTags(
  kv: KeyVaultClients,
  name: string,
  version: string,
  current: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): Promise<void> {
  if (Object.entries(wanted).every(([key, value]) => current[key] === value)) return;
  await kv.certificates.updateCertificateProperties(name, version, { tags: { ...current, ...wanted } });
}
