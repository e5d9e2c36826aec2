// Activities of offboarding: mark the user's certificates revoked in the ledger (the writers read it), disable
// them in Key Vault so no PFX can be exported any more, and ask each gateway's writer to run.
import * as df from "durable-functions";
import { RestError } from "@azure/core-rest-pipeline";
import { defineActivity } from "./define";
import { services } from "./services";
import { assertAllRequested, requestAllGatewayWriters, requestGatewayWriter } from "../clients/gateway-writer-starter";
import type { WriterRequestOutcome, WriterRequestResult } from "../clients/gateway-writer-starter";
import type { GatewayWriterInput } from "../domain/gateway-writer-input";
import type { RevocationRequest } from "../domain/issuance";
import { isLive } from "../domain/ledger";
import { assertUpn, upnKey } from "../domain/upn";

export interface RevokedCertificates {
  readonly certificateNames: readonly string[];
  readonly thumbprints: readonly string[];
}

export const markUserRevoked = defineActivity<RevocationRequest, RevokedCertificates>(
  "markUserRevoked",
  async (request) => {
    const { ledger } = services();
    const userKey = upnKey(assertUpn(request.upn));
    const at = new Date();
    // First the user's offboarding, at the time it took effect: from now on no certificate is issued without a later
    // rehire, and one still being made, even one not in the ledger yet, ends revoked.
    const offboardedAt = request.effectiveAt === undefined ? at : new Date(request.effectiveAt);
    await ledger.recordOffboarding({ userKey, offboardedAt, requestId: request.requestId, reason: request.reason });
    const records = await ledger.listUserCertificates(userKey);
    // Every certificate that is or may become usable (issuing, active, superseded); revoked ones are audited again.
    const revoked = records.filter((r) => isLive(r) || r.status === "revoked");
    for (const r of revoked) {
      if (r.status !== "revoked") {
        await ledger.putCertificate({
          ...r,
          status: "revoked",
          revokedAt: at,
          revocationReason: request.reason,
          updatedAt: at,
        });
      }
      await ledger.appendAudit({
        id: `${request.requestId}:revoked:${r.certificateName}`,
        at,
        actor: request.actor,
        action: "certificate.revoked",
        subject: userKey,
        reason: request.reason,
        source: request.source,
        requestId: request.requestId,
        details: { certificateName: r.certificateName, thumbprint: r.thumbprint ?? "" },
      });
    }
    return {
      certificateNames: revoked.map((r) => r.certificateName),
      thumbprints: revoked.flatMap((r) => (r.thumbprint === undefined ? [] : [r.thumbprint])),
    };
  },
);

export const disableCertificates = defineActivity<{ readonly certificateNames: readonly string[] }, number>(
  "disableCertificates",
  async ({ certificateNames }) => {
    const { keyVault } = services();
    let disabled = 0;
    for (const name of certificateNames) {
      try {
        await keyVault.certificates.updateCertificateProperties(name, "", { enabled: false });
        disabled++;
      } catch (error) {
        // Never created (revoked while issuing) or already gone: nothing left to disable.
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      }
    }
    return disabled;
  },
);

/** Starts or wakes the writer of every configured gateway (the writers re-read the ledger). */
export const wakeGatewayWriters = defineActivity<{ readonly reason: string }, readonly WriterRequestOutcome[]>(
  "wakeGatewayWriters",
  async ({ reason }, context) => {
    const outcomes = await requestAllGatewayWriters(df.getClient(context), services().config, reason);
    // Thrown so the durable retry tries again; the writers already reached are merely woken once more.
    assertAllRequested(outcomes, "wakeGatewayWriters");
    return outcomes;
  },
  [df.input.durableClient()],
);

export const requestGatewaySync = defineActivity<
  { readonly writer: GatewayWriterInput; readonly reason: string },
  WriterRequestResult
>("requestGatewaySync", ({ writer, reason }, context) => requestGatewayWriter(df.getClient(context), writer, reason), [
  df.input.durableClient(),
]);
