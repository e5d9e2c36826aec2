// Activities of a root rotation that concern issuances running across its promotion: the certificates recorded
// "issuing" right after the new root became the signing root, and how many of them may still finish (read again).
// Both judge "given up on" by the rotation's own time (`now`, the orchestration's clock), so the wait is bounded by
// the flow's timers, not by the clock of whichever instance runs the activity.
import { defineActivity } from "./define";
import { services } from "./services";
import { mayStillFinish } from "../domain/issuance-drain";
import type { IssuingCertificate } from "../domain/issuance-drain";

/** The certificates recorded "issuing" that may still finish (those given up on would only lengthen the history). */
export const listIssuingCertificates = defineActivity<
  { readonly rotationId: string; readonly now: string },
  IssuingCertificate[]
>("listIssuingCertificates", async ({ now }) => {
  const at = new Date(now);
  return (await services().ledger.listByStatus("issuing"))
    .filter((r) => mayStillFinish(r, at))
    .map((r) => ({ userKey: r.userKey, certificateName: r.certificateName }));
});

export const countUnfinishedIssuances = defineActivity<
  { readonly certificates: readonly IssuingCertificate[]; readonly now: string },
  number
>("countUnfinishedIssuances", async ({ certificates, now }) => {
  const { ledger } = services();
  const at = new Date(now);
  let unfinished = 0;
  for (const { userKey, certificateName } of certificates) {
    if (mayStillFinish(await ledger.getCertificate(userKey, certificateName), at)) unfinished++;
  }
  return unfinished;
});
