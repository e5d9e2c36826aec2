// Which issuances a root rotation waits for before it lists the users to reissue: those recorded "issuing" when the new
// root was promoted may have taken the old root (an issuance records itself before it reads the signing root), and
// their certificates must be active, failed or given up on before the listing, or the rotation would miss them and
// retire the only root they trust. Pure.
import type { CertificateRecord } from "./ledger";

/**
 * An issuance whose record has not moved for this long is taken as ended: a terminal failure leaves the record
 * "issuing", and the slowest issuance (every activity's retries spent) ends within minutes, not an hour.
 */
export const ISSUANCE_ABANDONED_MS = 60 * 60 * 1000;

/** One certificate recorded "issuing": where the rotation finds it again. */
export interface IssuingCertificate {
  readonly userKey: string;
  readonly certificateName: string;
}

/** Whether the issuance of `record` (read again now) may still finish with the root it read. */
export function mayStillFinish(
  record: Pick<CertificateRecord, "status" | "updatedAt"> | undefined,
  now: Date,
): boolean {
  return (
    record !== undefined &&
    record.status === "issuing" &&
    now.getTime() - record.updatedAt.getTime() < ISSUANCE_ABANDONED_MS
  );
}
