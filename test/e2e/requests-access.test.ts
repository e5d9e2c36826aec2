// Who may read a request: a Certificates.Read token reads any, the token that submitted it reads its own, any other
// caller gets the same 404 as for an unknown id. Real token validation: the app fetches the signing keys over TLS
// from the sandbox's identity emulator and checks every token with jose.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { accessTokenPayload, createSigningKey, signAccessToken, unsignedToken } from "../../dev/emulators/identity";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;
const tokens: Record<"helpdesk" | "alice" | "reader" | "ticketing" | "otherApp", string> = {
  helpdesk: "",
  alice: "",
  reader: "",
  ticketing: "",
  otherApp: "",
};

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const { controls } = sandbox.identity;
  // A helpdesk user who may issue (a delegated token), alice with no role, and two applications that may issue.
  controls.registerUser("helpdesk@contoso.com", ["Certificates.Issue"]);
  tokens.helpdesk = await controls.userToken("helpdesk@contoso.com");
  tokens.alice = sandbox.endpoints.userToken;
  tokens.reader = sandbox.endpoints.readerToken;
  const app = async (displayName: string, roles: string[]): Promise<string> =>
    controls.clientToken(controls.registerClient({ displayName, roles }).clientId);
  tokens.ticketing = await app("Ticketing", ["Certificates.Issue"]);
  tokens.otherApp = await app("Other", ["Certificates.Issue"]);
});

afterAll(async () => {
  await sandbox.stop();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(path.startsWith("http") ? path : `${sandbox.endpoints.host}${path}`, {
    method,
    headers: {
      "x-functions-key": sandbox.endpoints.functionKey,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as unknown };
}

/** Submits an issuance with `token` and waits until it has ended; answers the request's URL and id. */
async function submitted(upn: string, requestId: string, token: string) {
  const posted = await call("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, token, { requestId });
  expect(posted.status).toBe(202);
  const accepted = posted.body as { requestId: string; statusUrl: string };
  await waitFor(
    async () =>
      ((await call("GET", accepted.statusUrl, tokens.reader)).body as { status: string }).status === "succeeded",
    { message: `${upn}'s issuance to succeed`, timeoutMs: 60_000, intervalMs: 50 },
  );
  return accepted;
}

async function submitterObjectId(requestId: string): Promise<string | undefined> {
  return (await Ledger.fromConfig(getConfig()).getRequest(requestId))?.submitterObjectId;
}

describe("reading a request", () => {
  it("is open to Certificates.Read and to the user token that submitted it; any other caller gets the unknown-id 404", async () => {
    const request = await submitted("grace@contoso.com", "INC6000", tokens.helpdesk);
    const unknown = await call("GET", `/api/v1/requests/${"f".repeat(32)}`, tokens.reader);
    expect(unknown.status).toBe(404);

    expect(await call("GET", request.statusUrl, tokens.reader)).toMatchObject({
      status: 200,
      body: { requestId: request.requestId, upn: "grace@contoso.com", status: "succeeded" },
    });
    expect((await call("GET", request.statusUrl, tokens.helpdesk)).status).toBe(200);
    // Alice's own delegated token, and an application that could have submitted it but did not: not theirs.
    expect(await call("GET", request.statusUrl, tokens.alice)).toEqual(unknown);
    expect(await call("GET", request.statusUrl, tokens.ticketing)).toEqual(unknown);
    expect((await call("GET", request.statusUrl)).status).toBe(401);

    // The ledger names the submitter by its token.
    const record = await Ledger.fromConfig(getConfig()).getRequest(request.requestId);
    expect(record?.submittedBy).toMatch(/^user:helpdesk@contoso\.com oid=[0-9a-f-]{36}$/);
  });

  it("by the application that submitted it, and by no other application", async () => {
    const request = await submitted("hedy@contoso.com", "INC6001", tokens.ticketing);
    expect((await call("GET", request.statusUrl, tokens.ticketing)).status).toBe(200);
    expect((await call("GET", request.statusUrl, tokens.otherApp)).status).toBe(404);
    expect((await call("GET", request.statusUrl, tokens.helpdesk)).status).toBe(404);
    expect((await call("GET", request.statusUrl, tokens.reader)).status).toBe(200);
  });

  it("a repeat by another caller names the same request, which stays its first submitter's", async () => {
    const first = await submitted("ida@contoso.com", "INC6002", tokens.helpdesk);
    const again = await call("POST", "/api/v1/users/ida%40contoso.com/certificates", tokens.ticketing, {
      requestId: "INC6002",
    });
    expect(again).toMatchObject({ status: 202, body: { requestId: first.requestId, status: "succeeded" } });
    expect((await call("GET", first.statusUrl, tokens.ticketing)).status).toBe(404);
    expect((await call("GET", first.statusUrl, tokens.helpdesk)).status).toBe(200);
  });

  it("refuses the submitter's own request to a bad token with 401: expired, another audience, unknown key, unsigned", async () => {
    const request = await submitted("kay@contoso.com", "INC6004", tokens.helpdesk);
    const { claims, sign } = sandbox.identity.controls;
    const helpdesk = { user: { upn: "helpdesk@contoso.com", scopes: ["user_impersonation"] } };
    // The helpdesk's claims (its object id is the submitter's), each wrong in one way.
    const good = claims({ ...helpdesk, objectId: (await submitterObjectId(request.requestId)) ?? "" });
    const now = Math.floor(Date.now() / 1000);
    expect((await call("GET", request.statusUrl, await sign(accessTokenPayload(good)))).status).toBe(200);
    const bad = [
      await sign(accessTokenPayload({ ...good, issuedAt: now - 7200, lifetimeSeconds: 3600 })),
      await sign(accessTokenPayload({ ...good, audience: "api://someone-else" })),
      await signAccessToken(await createSigningKey(), accessTokenPayload(good)),
      unsignedToken(accessTokenPayload(good)),
    ];
    for (const token of bad) expect((await call("GET", request.statusUrl, token)).status).toBe(401);
  });

  it("the reader token starts nothing", async () => {
    const refused = await call("POST", "/api/v1/users/joan%40contoso.com/certificates", tokens.reader, {
      requestId: "INC6003",
    });
    expect(refused.status).toBe(403);
    expect(refused.body).not.toHaveProperty("requestId");
  });
});
