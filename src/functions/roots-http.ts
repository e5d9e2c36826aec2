// GET /api/v1/roots: every managed root with its state, and the public data of its certificate in the gateway's
// format (base64 DER on one line). Trusted roots are read from Key Vault (verified); roots that left the gateways
// (retired, withdrawn; disabled in Key Vault) from the registry, which kept their public data.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { services } from "../activities/services";
import { trustedRoots } from "../clients/managed-roots";
import type { RootCa } from "../clients/key-vault-ca";
import type { RegisteredRoot } from "../clients/root-registry";
import { authorize } from "./auth/authorize";

/** One root as the route answers it: the fields it always had, then its state and rotation. */
export interface RootAnswer {
  readonly name: string;
  readonly subject: string;
  readonly thumbprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly publicCertData: string;
  readonly state: RegisteredRoot["state"];
  readonly rotationId?: string;
}

export async function listRoots(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Gateways.Read" });
  if (!caller.ok) return caller.response;
  const { keyVault, roots } = services();
  const rows = await roots.list();
  const { trusted, rootError } = await trustedRoots(keyVault, { list: () => Promise.resolve(rows) });
  // A trusted root Key Vault could not answer for is an error, as it was before the registry (never a silent gap).
  if (rootError !== undefined) throw new Error(rootError);
  const byName = new Map<string, RootCa>(trusted.map((root) => [root.name.toLowerCase(), root]));
  // Current first (callers that read the first entry get the signing root), then the newest generations.
  const order = ["current", "retiring", "pending", "retired", "withdrawn"];
  const listed = [...rows]
    .sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state) || b.generation - a.generation)
    .map((row) => answerOf(row, byName.get(row.name.toLowerCase())))
    .filter((answer): answer is RootAnswer => answer !== undefined);
  return { status: 200, jsonBody: listed };
}

/** A root that has no certificate yet (its bootstrap has not run) is not listed, as before the registry. */
function answerOf(row: RegisteredRoot, root: RootCa | undefined): RootAnswer | undefined {
  const rotation = row.rotationId === undefined ? {} : { rotationId: row.rotationId };
  if (root !== undefined) {
    const { name, subject, thumbprint, notBefore, notAfter, publicCertData } = root;
    return { name, subject, thumbprint, notBefore, notAfter, publicCertData, state: row.state, ...rotation };
  }
  const { subject, thumbprint, notBefore, notAfter, publicCertData } = row;
  if (row.state !== "retired" && row.state !== "withdrawn") return undefined;
  if (subject === undefined || thumbprint === undefined || notBefore === undefined || notAfter === undefined) {
    return undefined;
  }
  if (publicCertData === undefined) return undefined;
  return { name: row.name, subject, thumbprint, notBefore, notAfter, publicCertData, state: row.state, ...rotation };
}

app.http("listRoots", { route: "v1/roots", methods: ["GET"], authLevel: "function", handler: listRoots });
