// Requests as resources, through the whole sandbox (real durable backend, emulators): every 202 names the request,
// GET /api/v1/requests/{id} follows it to its result or its reason, a repeat names the same request, and no answer
// of the run carries a durable management URL or key.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { keyVaultClients } from "../../src/clients/keyvault";
import { getConfig } from "../../src/config";
import { assertUpn, keyVaultCertificateName } from "../../src/domain/upn";
import { durableLeaks, recordedAnswers } from "../support/answer-recorder";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { SteerableClock } from "../support/steerable-clock";
import { waitFor, within } from "../support/wait";

const keyVaultClock = new SteerableClock();
let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ keyVaultClock });
});

afterAll(async () => {
  keyVaultClock.releaseAll();
  await sandbox.stop();
});

interface Accepted {
  readonly requestId: string;
  readonly status: string;
  readonly statusUrl: string;
}

interface RequestDocument {
  readonly requestId: string;
  readonly kind: string;
  readonly upn: string;
  readonly status: string;
  readonly step: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly result?: Record<string, unknown>;
  readonly error?: string;
}

/** GET on a request's URL as the app handed it out. */
async function follow(statusUrl: string): Promise<{ status: number; headers: Headers; body: RequestDocument }> {
  const response = await fetch(statusUrl, {
    headers: {
      "x-functions-key": sandbox.endpoints.functionKey,
      authorization: `Bearer ${sandbox.endpoints.readerToken}`,
    },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as RequestDocument };
}

/** Follows a request until it has ended (succeeded or failed). */
async function ended(statusUrl: string): Promise<RequestDocument> {
  return waitFor(
    async () => {
      const { body } = await follow(statusUrl);
      return body.status === "succeeded" || body.status === "failed" ? body : undefined;
    },
    { message: `the request at ${statusUrl} to end`, timeoutMs: 60_000, intervalMs: 50 },
  );
}

/** Holds the next Key Vault request of `operation` in flight until released. */
function holdKeyVault(operation: string): { reached: Promise<void>; release(): void } {
  const held = keyVaultClock.holdNextSleep();
  sandbox.keyVault.faults.add({ operation, latencyMs: 1, count: 1 });
  return {
    reached: within(held.reached, { message: `the issuance's ${operation} request to reach Key Vault` }),
    release: held.release,
  };
}

const issuePath = (upn: string): string => `/api/v1/users/${encodeURIComponent(upn)}/certificates`;

describe("an issuance request", () => {
  let accepted: Accepted;
  let location: string | null;
  let retryAfter: string | null;

  it("answers 202 { requestId, status, statusUrl } with Location and Retry-After, then runs through its steps", async () => {
    const held = holdKeyVault("certificates.merge");
    const response = await fetch(`${sandbox.endpoints.host}${issuePath("ada@contoso.com")}`, {
      method: "POST",
      headers: {
        "x-functions-key": sandbox.endpoints.functionKey,
        authorization: `Bearer ${sandbox.endpoints.adminToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ requestId: "INC5000" }),
    });
    expect(response.status).toBe(202);
    accepted = (await response.json()) as Accepted;
    location = response.headers.get("location");
    retryAfter = response.headers.get("retry-after");
    expect(Object.keys(accepted).sort()).toEqual(["requestId", "status", "statusUrl"]);
    expect(accepted.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(accepted.status).toBe("pending");
    expect(accepted.statusUrl).toBe(`${sandbox.endpoints.host}/api/v1/requests/${accepted.requestId}`);
    expect(location).toBe(accepted.statusUrl);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // Held at the merge: running, at that step, with a Retry-After to poll by.
    await held.reached;
    const running = await follow(accepted.statusUrl);
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ status: "running", step: "merging", kind: "issue", upn: "ada@contoso.com" });
    expect(running.body).not.toHaveProperty("result");
    expect(Number(running.headers.get("retry-after"))).toBeGreaterThan(0);
    held.release();
  });

  it("is followed to succeeded with the certificate's public data", async () => {
    const done = await ended(accepted.statusUrl);
    const listed = (await sandbox.api("GET", issuePath("ada@contoso.com"))).body as { thumbprint: string }[];
    expect(listed).toHaveLength(1);
    expect(done).toEqual({
      requestId: accepted.requestId,
      kind: "issue",
      upn: "ada@contoso.com",
      status: "succeeded",
      step: "done",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      result: {
        certificateName: keyVaultCertificateName(assertUpn("ada@contoso.com"), "INC5000"),
        thumbprint: listed[0]?.thumbprint,
        serialNumber: expect.stringMatching(/^[0-9a-f]+$/i) as unknown,
        notBefore: expect.any(String) as unknown,
        notAfter: expect.any(String) as unknown,
      },
    });
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt) - 1000);
    // Done: no Retry-After.
    expect((await follow(accepted.statusUrl)).headers.get("retry-after")).toBeNull();
  });

  it("repeated with the same requestId, names the same request (now succeeded) and makes nothing new", async () => {
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    const again = await sandbox.api("POST", issuePath("ada@contoso.com"), { requestId: "INC5000" });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ ...accepted, status: "succeeded" });
    await sandbox.host.idle();
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    // Another requestId for the same user is another request.
    const other = await sandbox.api("POST", issuePath("ada@contoso.com"), { requestId: "INC5001" });
    expect((other.body as Accepted).requestId).not.toBe(accepted.requestId);
    await ended((other.body as Accepted).statusUrl);
  });
});

describe("a request that fails", () => {
  it("shows failed with the reason and the step it failed at", async () => {
    const upn = "ida@contoso.com";
    // The certificate's name is soft-deleted: only an operator can unblock it, so the issuance fails at once.
    const kv = keyVaultClients(getConfig());
    const name = keyVaultCertificateName(assertUpn(upn), "INC5100");
    const made = await kv.certificates.beginCreateCertificate(
      name,
      { issuerName: "Self", subject: `CN=${upn}`, keySize: 2048 },
      { intervalInMs: 10 },
    );
    await made.pollUntilDone();
    await (await kv.certificates.beginDeleteCertificate(name, { intervalInMs: 10 })).pollUntilDone();

    const posted = await sandbox.api("POST", issuePath(upn), { requestId: "INC5100" });
    expect(posted.status).toBe(202);
    const failed = await ended((posted.body as Accepted).statusUrl);
    expect(failed).toMatchObject({ status: "failed", step: "creating-key", kind: "issue", upn });
    expect(failed.error).toContain("soft-deleted: recover it or purge it");
    expect(failed.error).not.toContain("\n");
    expect(failed).not.toHaveProperty("result");
  });
});

describe("an offboarding request", () => {
  it("answers the same shape and is followed to succeeded with what it revoked", async () => {
    const posted = await sandbox.api("POST", "/api/v1/users/ada@contoso.com/revocations", {
      requestId: "LEAVER-5000",
      reason: "left",
    });
    expect(posted.status).toBe(202);
    const accepted = posted.body as Accepted;
    expect(Object.keys(accepted).sort()).toEqual(["requestId", "status", "statusUrl"]);
    const done = await ended(accepted.statusUrl);
    const listed = (await sandbox.api("GET", issuePath("ada@contoso.com"))).body as { thumbprint: string }[];
    expect(done).toMatchObject({ kind: "offboard", upn: "ada@contoso.com", status: "succeeded", step: "done" });
    expect([...((done.result?.revokedThumbprints as string[] | undefined) ?? [])].sort()).toEqual(
      listed.map((c) => c.thumbprint).sort(),
    );
    expect(done.result?.gateways).toBe(sandbox.endpoints.gatewayIds.length);
  });
});

describe("GET /api/v1/requests/{id}", () => {
  it("answers the same 404 for an unknown id and a malformed one", async () => {
    const unknown = await sandbox.api("GET", `/api/v1/requests/${"0".repeat(32)}`);
    const malformed = await sandbox.api("GET", "/api/v1/requests/issue-p2s-user-ada");
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(404);
    expect(malformed.body).toEqual(unknown.body);
  });

  it("refuses a caller without a function key, or without a token", async () => {
    const any = recordedAnswers().find((a) => a.status === 202);
    const statusUrl = new URL(any?.headers.find(([name]) => name === "location")?.[1] ?? "");
    expect((await fetch(statusUrl)).status).toBe(401);
    const noToken = await fetch(statusUrl, { headers: { "x-functions-key": sandbox.endpoints.functionKey } });
    expect(noToken.status).toBe(401);
  });
});

describe("no durable management URL or key", () => {
  it("appears in any body or header of this run's API answers", () => {
    const answers = recordedAnswers();
    // The scan covered the answers that used to carry them: the 202s, the repeats and the GETs that follow them.
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((a) => new URL(a.url).pathname.startsWith("/api/v1/requests/")).length).toBeGreaterThan(5);
    expect(durableLeaks(answers)).toEqual([]);
  });
});
