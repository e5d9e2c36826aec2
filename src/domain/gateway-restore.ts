// Entries lost to a concurrent write. If-Match on the gateway PUT is not documented for virtualNetworkGateways, so
// a write made by someone else from an older read may land over the writer's and drop entries that were on the
// gateway before it (a hand-added revocation, an unmanaged root). The writer remembers what its write carried beyond
// what the ledger gives it again, finds what its verification read no longer shows, and puts that back. Pure.
import type { DesiredState, P2sCertificateState, RevokedEntry, RootEntry } from "./gateway-config";
import { parseThumbprint } from "./thumbprint";

export const NOTHING: P2sCertificateState = { roots: [], revoked: [] };

/** What a write carried that the next plan would not give back by itself: entries not derived from `desired`. */
export function entriesToKeep(written: P2sCertificateState, desired: DesiredState): P2sCertificateState {
  const wanted = new Set(desired.revokedThumbprints.map(comparable));
  const managed = new Set(desired.roots.map((r) => r.name.toLowerCase()));
  return {
    roots: written.roots.filter((r) => !managed.has(r.name.toLowerCase())),
    revoked: written.revoked.filter((r) => !wanted.has(comparable(r.thumbprint))),
  };
}

/** The entries of `kept` that `after` no longer shows (roots by name, revocations by thumbprint). */
export function lostEntries(kept: P2sCertificateState, after: P2sCertificateState): P2sCertificateState {
  return {
    roots: kept.roots.filter((r) => !hasRoot(after.roots, r)),
    revoked: kept.revoked.filter((r) => !hasRevoked(after.revoked, r)),
  };
}

export function isEmpty(state: P2sCertificateState | undefined): boolean {
  return state === undefined || (state.roots.length === 0 && state.revoked.length === 0);
}

/** `actual` with every entry of `restore` it lacks added back; `restored` names them. */
export function withRestored(
  actual: P2sCertificateState,
  restore: P2sCertificateState,
): { readonly state: P2sCertificateState; readonly restored: readonly string[] } {
  const roots: RootEntry[] = [...actual.roots];
  const revoked: RevokedEntry[] = [...actual.revoked];
  const restored: string[] = [];
  for (const root of restore.roots) {
    if (hasRoot(roots, root)) continue;
    roots.push({ name: root.name, publicCertData: root.publicCertData });
    restored.push(`root ${root.name}`);
  }
  for (const entry of restore.revoked) {
    if (hasRevoked(revoked, entry)) continue;
    revoked.push({ name: entry.name, thumbprint: entry.thumbprint });
    restored.push(`revoked ${entry.name} (${entry.thumbprint})`);
  }
  return { state: { roots, revoked }, restored };
}

/** Both sets of entries, each once: what is still to be put back after another loss. */
export function mergeEntries(a: P2sCertificateState, b: P2sCertificateState): P2sCertificateState {
  return withRestored(a, b).state;
}

/** One line naming the entries, for alerts and status. */
export function describeEntries(state: P2sCertificateState): string {
  return [
    ...state.roots.map((r) => `root ${r.name}`),
    ...state.revoked.map((r) => `revoked ${r.name} (${r.thumbprint})`),
  ].join(", ");
}

function hasRoot(roots: readonly RootEntry[], root: RootEntry): boolean {
  return roots.some((r) => r.name.toLowerCase() === root.name.toLowerCase());
}

function hasRevoked(revoked: readonly RevokedEntry[], entry: RevokedEntry): boolean {
  const thumbprint = comparable(entry.thumbprint);
  return revoked.some((r) => comparable(r.thumbprint) === thumbprint);
}

/** Hand-made entries may hold odd thumbprints: compared normalised when valid, else as they are. */
function comparable(thumbprint: string): string {
  const parsed = parseThumbprint(thumbprint);
  return parsed.ok ? parsed.thumbprint : thumbprint.toUpperCase();
}
