// Activities of a root rotation that concern issuances running across its promotion: the certificates recorded
// "issuing" right after the new root became the signing root, and how many of them may still finish (read again).
import { defineActivity } from "./define";
import { services } from "./services";
import { mayStillFinish } from "../domain/issuance-drain";
import type { IssuingCertificate } from "../domain/issuance-drain";

/** The certificates recorded "issuing" that may still finish (those given up on would only lengthen the history). */
export const listIssuingCertificates = defineActivity<{ readonly rotationId: string }, IssuingCertificate[]>(
  "listIssuingCertificates",
  async () => {
    const now = new Date();
    return (await services().ledger.listByStatus("issuing"))
      .filter((r) => mayStillFinish(r, now))
      .map((r) => ({ userKey: r.userKey, certificateName: r.certificateName }));
  },
);

export const countUnfinishedIssuances = defineActivity<
  { readonly certificates: readonly IssuingCertificate[] },
  number
>("countUnfinishedIssuances", async ({ certificates }) => {
  const { ledger } = services();
  const now = new Date();
  let unfinished = 0;
  for (const { userKey, certificateName } of certificates) {
    if (mayStillFinish(await ledger.getCertificate(userKey, certificateName), now)) unfinished++;
  }
  return unfinished;
});
