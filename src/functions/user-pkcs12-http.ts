// POST /api/v1/users/{upn}/certificates/{thumbprint}/pkcs12: the helpdesk's delivery of a user's certificate as a
// password-protected PKCS#12 (PFX) with its chain. POST, so the passphrase travels in the body and never in a URL or
// an access log. The PFX is built here, inside this call, from the Key Vault secret: it never crosses durable history.
// Only an active certificate the ledger lists for that user is exported (never a revoked, expired or unfinished one);
// each export is audited (who, which certificate, which encryption), never with the passphrase.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { services } from "../activities/services";
import { exportUserPkcs12, UserPkcs12Error } from "../clients/user-pkcs12";
import type { CertificateRecord } from "../domain/ledger";
import { parseThumbprint } from "../domain/thumbprint";
import { upnKey } from "../domain/upn";
import { actorLabel } from "./auth/actor";
import { authorize } from "./auth/authorize";
import { jsonBody, problem, upnParam } from "./http-validation";

export const PASSPHRASE_MIN_LENGTH = 12;
export const PASSPHRASE_MAX_LENGTH = 256;

/** Unicode code points, so a passphrase's length is what its owner typed, whatever the script. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** C0 and C1 control characters and DEL. */
function hasControl(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

// The messages name the rule, never the passphrase.
const passphrase = z
  .string()
  .refine((p) => codePoints(p) >= PASSPHRASE_MIN_LENGTH, `must be at least ${PASSPHRASE_MIN_LENGTH} characters`)
  .refine((p) => codePoints(p) <= PASSPHRASE_MAX_LENGTH, `must be at most ${PASSPHRASE_MAX_LENGTH} characters`)
  .refine((p) => !hasControl(p), "must not contain control characters");

const auditText = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .refine((t) => !hasControl(t), "must not contain control characters");

const exportBody = z.object({
  passphrase,
  /** Default: the PFX_ENCRYPTION setting. */
  encryption: z.enum(["aes256", "legacy3des"]).optional(),
  /** Who the caller says asked (the helpdesk agent): recorded as the caller's claim, next to the authenticated actor. */
  requestedBy: auditText.optional(),
  /** Why (a ticket number), recorded in the audit entry. */
  reason: auditText.optional(),
});

/** Why the record may not be exported now, or undefined when it may. */
function refusal(record: CertificateRecord, now: Date): string | undefined {
  if (record.status !== "active") return `the certificate is ${record.status}; only an active certificate is exported`;
  if (record.notAfter !== undefined && record.notAfter.getTime() <= now.getTime()) {
    return "the certificate has expired; only an active certificate is exported";
  }
  return undefined;
}

export async function exportUserCertificate(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Certificates.Export" });
  if (!caller.ok) return caller.response;
  const upn = upnParam(request);
  if (!upn.ok) return upn.response;
  const thumbprint = parseThumbprint(request.params.thumbprint ?? "");
  if (!thumbprint.ok) return problem(400, "Invalid thumbprint", thumbprint.reason);
  const body = await jsonBody(request, exportBody);
  if (!body.ok) return body.response;

  const { config, ledger, keyVault, roots } = services();
  const userKey = upnKey(upn.value);
  const record = (await ledger.listUserCertificates(userKey)).find((r) => r.thumbprint === thumbprint.thumbprint);
  if (record === undefined) {
    return problem(404, "Certificate not found", `${upn.value} has no certificate ${thumbprint.thumbprint}`);
  }
  const refused = refusal(record, new Date());
  if (refused !== undefined) return problem(409, "Certificate not exportable", refused);

  const encryption = body.value.encryption ?? config.PFX_ENCRYPTION;
  let pfx: Uint8Array;
  try {
    pfx = await exportUserPkcs12(keyVault, roots, record.certificateName, body.value.passphrase, encryption, {
      thumbprint: thumbprint.thumbprint,
      upnKey: userKey,
    });
  } catch (error) {
    // Disabled (revoked) in Key Vault, not the ledger's certificate, its key or chain not what it must be.
    if (error instanceof UserPkcs12Error) return problem(409, "Certificate not exportable", error.message);
    throw error;
  }

  // An offboarding may have marked the ledger while the PFX was being built: the ledger has the last word.
  const current = await ledger.getCertificate(userKey, record.certificateName);
  const late = current === undefined ? "the certificate is no longer listed" : refusal(current, new Date());
  if (late !== undefined) {
    pfx.fill(0);
    return problem(409, "Certificate not exportable", late);
  }

  // Audited before the bytes leave: an export that cannot be recorded is not delivered.
  await ledger
    .appendAudit({
      id: `${record.certificateName}:exported:${context.invocationId}`,
      at: new Date(),
      actor: actorLabel(caller.value),
      action: "certificate.exported",
      subject: userKey,
      reason: body.value.reason ?? "PKCS#12 download",
      source: "api",
      details: {
        certificateName: record.certificateName,
        thumbprint: thumbprint.thumbprint,
        encryption,
        ...(body.value.requestedBy === undefined ? {} : { requestedByClaim: body.value.requestedBy }),
      },
    })
    .catch((error: unknown) => {
      // Not delivered: the bytes do not outlive the failed call.
      pfx.fill(0);
      throw error;
    });
  return {
    status: 200,
    body: pfx,
    headers: {
      "content-type": "application/x-pkcs12",
      // UPNs hold no quotes, backslashes or control characters (domain/upn.ts), so the name needs no escaping.
      "content-disposition": `attachment; filename="${upn.value}.pfx"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  };
}

app.http("exportUserCertificate", {
  route: "v1/users/{upn}/certificates/{thumbprint}/pkcs12",
  methods: ["POST"],
  authLevel: "function",
  handler: exportUserCertificate,
});
