// The per-user cap on certificates held at once (MAX_ACTIVE_CERTIFICATES_PER_USER), for every issuance from any
// source: a device key per laptop and phone is normal, an unbounded number is a leak nobody notices.
import type { CertificateRecord } from "./ledger";

/**
 * An issuance recorded as issuing but not updated for this long is taken as failed (a terminal failure leaves its
 * record "issuing"): it stops counting, so failed attempts cannot hold a user at the cap for good.
 */
export const STALE_ISSUING_MS = 24 * 60 * 60 * 1000;

/**
 * Certificates that count against the cap: active, or being issued (recently), and not yet expired. Superseded ones
 * are on their way out, revoked and expired ones no longer work. `except` is the issuance asking, so a retry of it
 * never counts itself.
 */
export function heldCertificates(
  records: readonly CertificateRecord[],
  now: Date,
  except: string,
): readonly CertificateRecord[] {
  return records.filter(
    (r) =>
      r.certificateName !== except &&
      (r.status === "active" || (r.status === "issuing" && now.getTime() - r.updatedAt.getTime() < STALE_ISSUING_MS)) &&
      (r.notAfter === undefined || r.notAfter.getTime() > now.getTime()),
  );
}

/** Why the issuance `certificateName` must be refused under the cap, or undefined when it may go ahead. */
export function capRefusal(
  records: readonly CertificateRecord[],
  cap: number,
  now: Date,
  certificateName: string,
): string | undefined {
  // A retry of an issuance already recorded was counted when it began: it goes on.
  if (records.some((r) => r.certificateName === certificateName)) return undefined;
  const held = heldCertificates(records, now, certificateName).length;
  if (held < cap) return undefined;
  return (
    `the user already holds ${held} certificate(s), the cap is ${cap} (MAX_ACTIVE_CERTIFICATES_PER_USER): revoke ` +
    `one first`
  );
}
