// Reads what every gateway must hold right now: the trusted roots and the revocations they issued. The revocations
// come from the revocation index, one range read per root: the trusted roots' revocations that are unexpired or
// expired recently enough to prune (REVOCATION_PRUNE_LOOKBACK_DAYS past the margin), and the retired roots' that can
// still be on a gateway (only to know their root, so the planner prunes them); never a scan of every certificate.
import type { Config } from "../config";
import type { KeyVaultClients } from "./keyvault";
import type { RootCa } from "./ca-model";
import type { Ledger } from "./ledger";
import { trustedRoots } from "./managed-roots";
import type { RegisteredRoot, RootRegistry } from "./root-registry";
import { UNKNOWN_ROOT_PARTITION } from "./revocation-index";
import type { IndexRead } from "./revocation-index";
import type { DesiredState, RootEntry } from "../domain/gateway-config";
import { indexedWindow, pruneCutoff } from "../domain/revocation-window";

const DAY_MS = 86_400_000;

export interface DesiredGatewayState {
  readonly desired: DesiredState;
  /** UPN (lower case) of each revoked, unexpired thumbprint, to find the sessions to end. */
  readonly revokedUsers: Readonly<Record<string, string>>;
  /** Why the managed root is missing from `desired` although one may exist (Key Vault unreachable). */
  readonly rootError?: string;
  /** Revocation index rows this read cost (the ledger-at-scale figure); absent in histories from before issue 14. */
  readonly rowsRead?: number;
}

/** The roots as the app manages them: trusted ones (on every gateway) and retired ones (removed from them). */
export interface ManagedRootsView {
  readonly trusted: readonly RootCa[];
  readonly retired: readonly { readonly name: string; readonly thumbprint?: string }[];
  readonly rootError?: string;
}

export type DesiredStateConfig = Pick<Config, "GATEWAY_PRUNE_MARGIN_HOURS" | "REVOCATION_PRUNE_LOOKBACK_DAYS">;

export interface DesiredStateDeps {
  readonly ledger: Ledger;
  readonly keyVault: KeyVaultClients;
  readonly roots: Pick<RootRegistry, "list">;
}

export async function loadDesiredGatewayState(
  config: DesiredStateConfig,
  { ledger, keyVault, roots: registry }: DesiredStateDeps,
  now: Date,
): Promise<DesiredGatewayState> {
  const roots = await managedRoots(keyVault, registry);
  const index = ledger.revocations;
  // An older ledger's revocations reach the index once, before the first read that relies on it.
  await index.ensureBackfilled(() => ledger.listByStatus("revoked"));
  const marginMs = config.GATEWAY_PRUNE_MARGIN_HOURS * 3_600_000;
  // Unexpired, plus the ones expired within the lookback past the margin: those are pruned from the gateways.
  const cutoff = new Date(pruneCutoff(now, marginMs).getTime() - config.REVOCATION_PRUNE_LOOKBACK_DAYS * DAY_MS);
  let trusted: IndexRead;
  if (roots.rootError !== undefined) {
    // The roots cannot be known: read every root's revocations rather than miss one (the gateway keeps its roots).
    trusted = await index.readAll(cutoff);
  } else {
    const partitions = [...roots.trusted.map((r) => r.thumbprint.toUpperCase()), UNKNOWN_ROOT_PARTITION];
    trusted = await index.readForWriter(partitions, cutoff);
  }
  // Retired roots' revocations only tell the planner which root issued what is still on a gateway.
  const retiredThumbprints = roots.retired.flatMap((r) => (r.thumbprint === undefined ? [] : [r.thumbprint]));
  const retired: IndexRead =
    retiredThumbprints.length === 0 || roots.rootError !== undefined
      ? { entries: [], rowsRead: 0 }
      : await index.readForWriter(retiredThumbprints, cutoff);
  const window = indexedWindow(trusted.entries, retired.entries, now, marginMs);
  const desired: DesiredState = {
    roots: roots.trusted.map((r): RootEntry => ({ name: r.name, publicCertData: r.publicCertData })),
    revokedThumbprints: window.revokedThumbprints,
    expiredThumbprints: window.expiredThumbprints,
    retiredRootNames: roots.retired.map((r) => r.name),
    revocationInfo: window.revocationInfo,
  };
  return {
    desired,
    revokedUsers: window.revokedUsers,
    rowsRead: trusted.rowsRead + retired.rowsRead,
    ...(roots.rootError === undefined ? {} : { rootError: roots.rootError }),
  };
}

/**
 * The managed roots from the registry (trustedRoots). No root yet (before the first bootstrap), or the registry or Key
 * Vault unreachable: revocations are still applied, and the roots already on the gateway are kept as they are (the
 * planner removes only retired roots).
 */
async function managedRoots(
  keyVault: KeyVaultClients,
  registry: Pick<RootRegistry, "list">,
): Promise<ManagedRootsView> {
  let rows: RegisteredRoot[] | undefined;
  try {
    rows = await registry.list();
  } catch {
    // trustedRoots reads it again and names the failure.
  }
  const once = rows;
  const managed = await trustedRoots(keyVault, once === undefined ? registry : { list: () => Promise.resolve(once) });
  const retired = (once ?? [])
    .filter((r) => managed.retiredNames.includes(r.name))
    .map((r) => ({ name: r.name, ...(r.thumbprint === undefined ? {} : { thumbprint: r.thumbprint }) }));
  return {
    trusted: managed.trusted,
    retired: retired.length > 0 ? retired : managed.retiredNames.map((name) => ({ name })),
    ...(managed.rootError === undefined ? {} : { rootError: managed.rootError }),
  };
}
