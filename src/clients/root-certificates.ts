// The ledger's certificates as a root rotation sees them: which users still hold a certificate of another root (to
// reissue under the new one), and the superseding of a retired root's live certificates. Read user by user, so a
// large ledger is paged instead of loaded whole.
import type { CertificateRecord } from "../domain/ledger";
import type { Ledger } from "./ledger";
import { LedgerConflictError } from "./ledger";

/** Which root signed a record: its rootThumbprint, or, for records older than that field, the first root. */
export interface RootIdentity {
  readonly thumbprint: string;
  /** True for the first root (CA_ROOT_NAME, registered without a rotation): records without a root are its. */
  readonly first: boolean;
}

export function signedBy(record: Pick<CertificateRecord, "rootThumbprint">, root: RootIdentity): boolean {
  if (record.rootThumbprint === undefined) return root.first;
  return record.rootThumbprint.toUpperCase() === root.thumbprint.toUpperCase();
}

export interface ReissuePage {
  readonly upns: string[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

/**
 * Users with an active certificate not issued by `rootThumbprint` and none that is, in user order after `after`
 * (a user key), at most `limit` of them.
 */
export async function usersToReissue(
  ledger: Pick<Ledger, "streamByStatus">,
  rootThumbprint: string,
  limit: number,
  after?: string,
): Promise<ReissuePage> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit ${limit} must be a positive integer`);
  const found: { userKey: string; upn: string }[] = [];
  let user: { userKey: string; upn: string; other: boolean; current: boolean } | undefined;
  const close = (): void => {
    if (user !== undefined && user.other && !user.current) found.push({ userKey: user.userKey, upn: user.upn });
  };
  for await (const record of ledger.streamByStatus("active", after)) {
    if (user?.userKey !== record.userKey) {
      close();
      // One more than a page tells whether there is a next one.
      if (found.length > limit) break;
      user = { userKey: record.userKey, upn: record.upn, other: false, current: false };
    }
    if (record.rootThumbprint?.toUpperCase() === rootThumbprint.toUpperCase()) user.current = true;
    else user.other = true;
  }
  if (found.length <= limit) close();
  const page = found.slice(0, limit);
  const last = page.at(-1);
  return found.length > limit && last !== undefined
    ? { upns: page.map((u) => u.upn), next: last.userKey }
    : { upns: page.map((u) => u.upn) };
}

/**
 * Marks every active certificate of `root` superseded (a certificate revoked meanwhile stays revoked). Idempotent:
 * answers how many this call moved.
 */
export async function supersedeRootCertificates(
  ledger: Pick<Ledger, "streamByStatus" | "putCertificate">,
  root: RootIdentity,
  now: Date,
): Promise<number> {
  const mine: CertificateRecord[] = [];
  for await (const record of ledger.streamByStatus("active")) if (signedBy(record, root)) mine.push(record);
  let moved = 0;
  for (const record of mine) {
    try {
      await ledger.putCertificate({ ...record, status: "superseded", updatedAt: now });
      moved++;
    } catch (error) {
      // Revoked or expired since it was read: that state wins.
      if (!(error instanceof LedgerConflictError)) throw error;
    }
  }
  return moved;
}
