// Trusted roots whose certificate has expired. Azure refuses any gateway PUT that carries one
// (VpnClientRootCertificateExpired, azure-cli #26753), and every write is a full-object PUT, so a single expired root,
// even one added by hand, would block every revocation: the planner leaves them out and says which it left out.
import { parseCertificate } from "./certificate-info";
import type { RootEntry } from "./gateway-config";

export interface ExpiredRoot {
  readonly name: string;
  /** ISO 8601. */
  readonly notAfter: string;
}

/** The root's notAfter, or undefined when its data is not a readable certificate (kept as it is, never judged). */
export function rootNotAfter(publicCertData: string): Date | undefined {
  try {
    return parseCertificate(Buffer.from(publicCertData, "base64")).notAfter;
  } catch {
    // Its message is not kept: an unreadable root is only never judged.
    return undefined;
  }
}

/** True when the root's certificate has expired at `now`; unreadable data is never called expired. */
export function isExpiredRoot(root: RootEntry, now: Date): boolean {
  const notAfter = rootNotAfter(root.publicCertData);
  return notAfter !== undefined && notAfter.getTime() <= now.getTime();
}

/** Splits roots into those to keep and the expired ones (with their notAfter, for the alert and the audit). */
export function splitExpiredRoots(
  roots: readonly RootEntry[],
  now: Date,
): { readonly kept: RootEntry[]; readonly expired: ExpiredRoot[] } {
  const kept: RootEntry[] = [];
  const expired: ExpiredRoot[] = [];
  for (const root of roots) {
    const notAfter = rootNotAfter(root.publicCertData);
    if (notAfter !== undefined && notAfter.getTime() <= now.getTime()) {
      expired.push({ name: root.name, notAfter: notAfter.toISOString() });
    } else {
      kept.push(root);
    }
  }
  return { kept, expired };
}

/** "name (expired 2024-01-01T00:00:00.000Z), ..." for alerts and audit reasons. */
export function describeExpiredRoots(roots: readonly ExpiredRoot[]): string {
  return roots.map((r) => `${r.name} (expired ${r.notAfter})`).join(", ");
}
