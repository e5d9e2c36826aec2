// GET /api/v1/roots: the root CA's public data, in the gateway's format (base64 DER on one line).
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { services } from "../activities/services";
import { getRootCa } from "../clients/key-vault-ca";
import { authorize } from "./auth/authorize";

export async function listRoots(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Gateways.Read" });
  if (!caller.ok) return caller.response;
  const { config, keyVault } = services();
  const root = await getRootCa(keyVault, config);
  const body =
    root === undefined
      ? []
      : [
          {
            name: root.name,
            subject: root.subject,
            thumbprint: root.thumbprint,
            notBefore: root.notBefore,
            notAfter: root.notAfter,
            publicCertData: root.publicCertData,
          },
        ];
  return { status: 200, jsonBody: body };
}

app.http("listRoots", { route: "v1/roots", methods: ["GET"], authLevel: "function", handler: listRoots });
