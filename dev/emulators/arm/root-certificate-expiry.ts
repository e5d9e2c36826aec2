// Azure refuses a gateway PUT that carries an expired trusted root, whoever added it: 400
// VpnClientRootCertificateExpired, "Root certificate <id>/vpnClientRootCertificates/<name> is expired. Please remove
// this certificate and retry." (azure-cli #26753 shows the code and message; the 400 status is a guess: the issue
// shows only the body). Seeding (a gateway as it exists, its roots possibly expired since) is not checked.
import { X509Certificate } from "node:crypto";
import { badRequest } from "./arm-error";
import { isJsonObject, objectAt, stringAt } from "./json";
import type { JsonObject } from "./json";

/** Throws the 400 for the first root of a validated PUT body whose certificate has expired at `nowMs`. */
export function rejectExpiredRoots(stored: JsonObject, gatewayId: string, nowMs: number): void {
  const vpn = objectAt(objectAt(stored, "properties") ?? {}, "vpnClientConfiguration");
  const roots = vpn?.["vpnClientRootCertificates"];
  if (!Array.isArray(roots)) return;
  roots.forEach((root, index) => {
    if (!isJsonObject(root)) return;
    const data = stringAt(objectAt(root, "properties") ?? {}, "publicCertData");
    if (data === undefined) return;
    // Validation already proved the data is one DER certificate.
    const notAfter = Date.parse(new X509Certificate(Buffer.from(data, "base64")).validTo);
    if (notAfter > nowMs) return;
    const name = stringAt(root, "name") ?? "";
    throw badRequest(
      "VpnClientRootCertificateExpired",
      `Root certificate ${gatewayId}/vpnClientRootCertificates/${name} is expired. Please remove this certificate and retry.`,
      `properties.vpnClientConfiguration.vpnClientRootCertificates[${index}]`,
    );
  });
}
