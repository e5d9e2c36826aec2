// The managed roots as Key Vault holds them: which trusted roots exist (verified as getRootCa verifies the configured
// one), the bootstrap settings and lock of any root by name (the bootstrap itself is ca-root-bootstrap's, for every
// root), and the disabling of a root that leaves the gateways.
import { isTrusted } from "../domain/root-registry";
import type { RootState } from "../domain/root-registry";
import { rootBootstrapLock } from "./blob-lease-lock";
import type { BlobLeaseLockOptions, BlobLeaseLock } from "./blob-lease-lock";
import type { CaConfig, RootCa } from "./ca-model";
import { locateRoot, readVersions } from "./ca-root-versions";
import { discardOperation, isStatus } from "./key-vault-certificate-ops";
import type { KeyVaultClients } from "./keyvault";
import type { RegisteredRoot, RootRegistry } from "./root-registry";

export interface TrustedRoots {
  /** Every trusted root (pending, current, retiring) that exists in Key Vault as a verified CA, current first. */
  readonly trusted: RootCa[];
  /** Roots that left the gateways for good (retired, withdrawn). */
  readonly retiredNames: string[];
  /** Why a trusted root may be missing from `trusted` (the registry or Key Vault could not be read). */
  readonly rootError?: string;
}

/** Trusted before the others, and the signing root first. */
const ORDER: Readonly<Record<RootState, number>> = { current: 0, retiring: 1, pending: 2, retired: 3, withdrawn: 4 };

export async function trustedRoots(kv: KeyVaultClients, registry: Pick<RootRegistry, "list">): Promise<TrustedRoots> {
  let rows: RegisteredRoot[];
  try {
    rows = await registry.list();
  } catch (error) {
    return { trusted: [], retiredNames: [], rootError: `the root registry could not be read: ${messageOf(error)}` };
  }
  const trusted: RootCa[] = [];
  const errors: string[] = [];
  const ordered = [...rows].sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.generation - a.generation);
  for (const row of ordered.filter((r) => isTrusted(r.state))) {
    try {
      const located = await locateRoot(kv, row.name);
      if (located !== undefined) trusted.push(located.root);
    } catch (error) {
      errors.push(`the CA root ${row.name} could not be read from Key Vault: ${messageOf(error)}`);
    }
  }
  const retiredNames = rows.filter((r) => !isTrusted(r.state)).map((r) => r.name);
  return { trusted, retiredNames, ...(errors.length === 0 ? {} : { rootError: errors.join("; ") }) };
}

/** The bootstrap settings of one managed root: the configured ones under its own name and subject. */
export function rootCaConfig<C extends Pick<CaConfig, "CA_ROOT_NAME" | "CA_ROOT_SUBJECT">>(
  config: C,
  root: Pick<RegisteredRoot, "name" | "subject">,
): C {
  if (root.name === config.CA_ROOT_NAME && (root.subject ?? config.CA_ROOT_SUBJECT) === config.CA_ROOT_SUBJECT) {
    return config;
  }
  return { ...config, CA_ROOT_NAME: root.name, CA_ROOT_SUBJECT: root.subject ?? config.CA_ROOT_SUBJECT };
}

/** The bootstrap lock of one managed root (one blob per vault and root name). */
export function rootLock(
  config: Parameters<typeof rootBootstrapLock>[0],
  name: string,
  options: BlobLeaseLockOptions = {},
): BlobLeaseLock {
  return rootBootstrapLock(name === config.CA_ROOT_NAME ? config : { ...config, CA_ROOT_NAME: name }, options);
}

/**
 * Disables every version of a root's Key Vault certificate (which disables its key: keys/sign is refused) and
 * discards a pending operation, so nothing can be merged into it later. Idempotent; answers how many versions this
 * call disabled. A root that does not exist in Key Vault has nothing to disable.
 */
export async function disableRootVersions(kv: KeyVaultClients, name: string): Promise<number> {
  // Only an operation still in progress is discarded: a finished one is history, and nothing is asked of it.
  if (await operationInProgress(kv, name)) await discardOperation(kv, name);
  let disabled = 0;
  for (const version of await readVersions(kv, name)) {
    if (!version.enabled) continue;
    await kv.certificates.updateCertificateProperties(name, version.version, { enabled: false });
    disabled++;
  }
  return disabled;
}

async function operationInProgress(kv: KeyVaultClients, name: string): Promise<boolean> {
  try {
    const poller = await kv.certificates.getCertificateOperation(name);
    return poller.getOperationState().certificateOperation?.status === "inProgress";
  } catch (error) {
    if (isStatus(error, 404)) return false;
    throw error;
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
