// Acceptance on the whole sandbox: the real issueClientCertificate orchestration, its HTTP trigger and the ledger,
// with the real SDKs against the Key Vault emulator. A failure between create and merge is retried by the durable
// framework into exactly one certificate; a repeated request id makes one certificate; throttling is ridden out; bad
// UPNs never reach Key Vault; and no private key material shows in logs, the ledger, durable history or responses.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { createPrivateKey, createPublicKey } from "node:crypto";
import { createVirtualClock } from "../../../dev/host/clock";
import type { ManualClock } from "../../../dev/host/clock";
import { keyVaultClients } from "../../../src/clients/keyvault";
import type { KeyVaultClients } from "../../../src/clients/keyvault";
import { RootRegistry } from "../../../src/clients/root-registry";
import { exportUserPkcs12 } from "../../../src/clients/user-pkcs12";
import { getConfig } from "../../../src/config";
import { generatePassphrase } from "../../../src/domain/passphrase";
import { pemBlocks } from "../../../src/domain/pem";
import { assertUpn, keyVaultCertificateName } from "../../../src/domain/upn";
import { TempDir } from "./ca-support";
import { startTestSandbox, testAtLeastOnce } from "../../support/sandbox";
import type { TestSandbox } from "../../support/sandbox";
import { RecordingApi, activityAttempts, dumpTables, durableLinks, settle } from "./sandbox-support";

let sandbox: TestSandbox;
let clock: ManualClock;
let api: RecordingApi;
let kv: KeyVaultClients;
/** Every issuance instance the tests started, for the no-leak sweep. */
const instances = new Set<string>();

beforeAll(async () => {
  clock = createVirtualClock(Date.now());
  sandbox = await startTestSandbox({ clock });
  api = new RecordingApi(sandbox);
  kv = keyVaultClients(getConfig());
});

afterAll(async () => {
  await sandbox.stop();
});

afterEach(() => {
  sandbox.durable.setAtLeastOnce(testAtLeastOnce());
  sandbox.keyVault.faults.clear();
});

async function issue(upn: string, requestId: string): Promise<{ id: string; thumbprint: string }> {
  const started = await api.requestCertificate(upn, requestId);
  instances.add(started.id);
  const done = await settle(sandbox, clock, started.id);
  expect(done.runtimeStatus).toBe("Completed");
  return { id: started.id, thumbprint: (done.output as { thumbprint: string }).thumbprint };
}

async function issuedVersions(name: string): Promise<number> {
  let count = 0;
  for await (const properties of kv.certificates.listPropertiesOfCertificateVersions(name)) {
    const cert = await kv.certificates.getCertificateVersion(name, properties.version ?? "");
    if (cert.cer !== undefined && cert.cer.length > 0) count += 1;
  }
  return count;
}

/** How many versions `name` has, and whether an operation is in progress on it. */
async function versionsOf(name: string): Promise<{ versions: number; inProgress: boolean }> {
  let versions = 0;
  for await (const properties of kv.certificates.listPropertiesOfCertificateVersions(name)) {
    if (properties.version !== undefined) versions += 1;
  }
  const operation = await kv.certificates.getCertificateOperation(name);
  return { versions, inProgress: operation.getOperationState().certificateOperation?.status === "inProgress" };
}

async function ledgerRecords(upn: string): Promise<{ thumbprint: string | null; status: string }[]> {
  const listed = await api.call("GET", `/api/v1/users/${encodeURIComponent(upn)}/certificates`);
  expect(listed.status).toBe(200);
  return listed.body as { thumbprint: string | null; status: string }[];
}

function createCount(): number {
  return sandbox.keyVault.stats.operation("certificates.create").byStatus["202"] ?? 0;
}

describe("bad UPNs", () => {
  it.each([
    ["a DN metacharacter", "a,O=x@contoso.com", "contains ',' which is not allowed"],
    ["a control character", "ada\u0007@contoso.com", "contains the control character U+0007"],
    ["a line break", "ada\n@contoso.com", "contains the control character U+000A"],
    ["an over-long name", `${"a".repeat(120)}@contoso.com`, "is 132 characters long; the limit is 113"],
    ["no @", "ada.contoso.com", "has no '@'"],
  ])("with %s are refused with a clear 400 and nothing reaches Key Vault", async (_what, upn, reason) => {
    await sandbox.host.idle();
    const before = JSON.stringify(sandbox.keyVault.stats.get());
    const posted = await api.call("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, {
      requestId: "INC2000",
    });
    expect(posted.status).toBe(400);
    expect(posted.body).toMatchObject({ title: "Invalid UPN", detail: expect.stringContaining(reason) as unknown });
    const listed = await api.call("GET", `/api/v1/users/${encodeURIComponent(upn)}/certificates`);
    expect(listed.status).toBe(400);
    await sandbox.host.idle();
    expect(JSON.stringify(sandbox.keyVault.stats.get())).toBe(before);
  });
});

describe("a fault between create and merge", () => {
  it("fails the merge activity, the durable retry merges it: one certificate, one active ledger record", async () => {
    const upn = "ada@contoso.com";
    const name = keyVaultCertificateName(assertUpn(upn), "INC1000");
    // 503 with Retry-After: 0 is retried by the SDK at once, so a standing fault outlasts those retries and the
    // activity itself fails, as in a longer outage.
    const fault = sandbox.keyVault.faults.add({ operation: "certificates.merge", status: 503, retryAfterSeconds: 0 });
    const creates = createCount();
    const started = await api.requestCertificate(upn, "INC1000");
    instances.add(started.id);

    await waitFor(() =>
      activityAttempts(sandbox.durable.inspect(started.id)?.history ?? []).some(
        (a) => a.name === "completeCertificate" && a.outcome === "failed",
      ),
    );
    expect(sandbox.keyVault.vault.describe(name).pending).toBe(true);
    sandbox.keyVault.faults.remove(fault.id);

    const done = await settle(sandbox, clock, started.id);
    expect(done.runtimeStatus).toBe("Completed");
    const attempts = activityAttempts(sandbox.durable.inspect(started.id)?.history ?? []);
    expect(attempts.filter((a) => a.name === "beginCertificate")).toEqual([
      { name: "beginCertificate", outcome: "completed" },
    ]);
    expect(attempts.filter((a) => a.name === "completeCertificate").map((a) => a.outcome)).toEqual([
      "failed",
      "completed",
    ]);

    expect(createCount() - creates).toBe(1);
    expect(sandbox.keyVault.vault.certificateNames().filter((n) => n === name)).toHaveLength(1);
    expect(sandbox.keyVault.vault.describe(name).pending).toBe(false);
    expect(await issuedVersions(name)).toBe(1);
    const thumbprint = (done.output as { thumbprint: string }).thumbprint;
    expect(await ledgerRecords(upn)).toEqual([expect.objectContaining({ thumbprint, status: "active" })]);
  });
});

describe("the same request id twice", () => {
  it("makes one certificate, whether the requests overlap or come after it is done", async () => {
    const upn = "grace@contoso.com";
    const name = keyVaultCertificateName(assertUpn(upn), "INC1001");
    const creates = createCount();
    const [first, second] = await Promise.all([
      api.requestCertificate(upn, "INC1001"),
      api.requestCertificate(upn, "INC1001"),
    ]);
    expect(second.id).toBe(first.id);
    instances.add(first.id);
    const done = await settle(sandbox, clock, first.id);
    expect(done.runtimeStatus).toBe("Completed");
    const third = await api.requestCertificate(upn, "INC1001");
    expect(third.id).toBe(first.id);
    await sandbox.host.idle();

    expect(createCount() - creates).toBe(1);
    expect(await issuedVersions(name)).toBe(1);
    const records = await ledgerRecords(upn);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: "active",
      thumbprint: (done.output as { thumbprint: string }).thumbprint,
    });
  });
});

describe("throttling", () => {
  afterAll(() => {
    // Back to the documented limits for the tests that follow.
    sandbox.keyVault.throttle.configure({});
  });

  it("is ridden out: concurrent issuances over a small create limit all complete after 429s", async () => {
    // 2 certificate creates per 2 s: six concurrent issuances need three windows.
    sandbox.keyVault.throttle.configure({
      limits: { windowMs: 2_000, keyCreate: { 2048: 2, 3072: 2, 4096: 2 } },
    });
    const throttledBefore = sandbox.keyVault.stats.operation("certificates.create").byStatus["429"] ?? 0;
    const users = Array.from({ length: 6 }, (_, i) => `user${i}@contoso.com`);
    const results = await Promise.all(users.map((upn) => issue(upn, "INC3000")));
    expect(new Set(results.map((r) => r.thumbprint)).size).toBe(users.length);
    const throttled = (sandbox.keyVault.stats.operation("certificates.create").byStatus["429"] ?? 0) - throttledBefore;
    expect(throttled).toBeGreaterThan(0);
    for (const upn of users) {
      expect(await ledgerRecords(upn)).toEqual([expect.objectContaining({ status: "active" })]);
      // At-least-once runs beginCertificate again: never a second version, nor an operation left in progress.
      const name = keyVaultCertificateName(assertUpn(upn), "INC3000");
      expect({ upn, ...(await versionsOf(name)) }).toEqual({ upn, versions: 1, inProgress: false });
    }
  });
});

describe("a request repeated after its issuance failed", () => {
  it("starts the failed instance again under the same id: it resumes the pending CSR, one certificate", async () => {
    const upn = "margaret@contoso.com";
    const name = keyVaultCertificateName(assertUpn(upn), "INC1100");
    // A standing outage of merges outlasts the SDK's and the durable retries: the instance fails.
    sandbox.keyVault.faults.add({ operation: "certificates.merge", status: 503, retryAfterSeconds: 0 });
    const creates = createCount();
    const first = await api.requestCertificate(upn, "INC1100");
    instances.add(first.id);
    const failed = await settle(sandbox, clock, first.id);
    expect(failed.runtimeStatus).toBe("Failed");
    expect(await ledgerRecords(upn)).toEqual([expect.objectContaining({ status: "issuing" })]);
    expect(sandbox.keyVault.vault.describe(name).pending).toBe(true);

    // The outage is over; the helpdesk sends the same request again.
    sandbox.keyVault.faults.clear();
    const again = await api.requestCertificate(upn, "INC1100");
    expect(again.id).toBe(first.id);
    const done = await settle(sandbox, clock, again.id);
    expect(done.runtimeStatus).toBe("Completed");
    // The new run resumed the operation the failed one left: no second create, one issued version.
    expect(createCount() - creates).toBe(1);
    expect(await issuedVersions(name)).toBe(1);
    const thumbprint = (done.output as { thumbprint: string }).thumbprint;
    expect(await ledgerRecords(upn)).toEqual([expect.objectContaining({ thumbprint, status: "active" })]);

    // Completed now: a further repeat is answered with the same instance and runs nothing.
    const history = sandbox.durable.inspect(first.id)?.history.length;
    const third = await api.requestCertificate(upn, "INC1100");
    expect(third.id).toBe(first.id);
    await sandbox.host.idle();
    expect(sandbox.durable.inspect(first.id)?.history.length).toBe(history);
    expect(createCount() - creates).toBe(1);
  });

  it("starts a terminated instance again under the same id", async () => {
    const upn = "barbara@contoso.com";
    const name = keyVaultCertificateName(assertUpn(upn), "INC1101");
    sandbox.keyVault.faults.add({ operation: "certificates.merge", status: 503, retryAfterSeconds: 0 });
    const first = await api.requestCertificate(upn, "INC1101");
    instances.add(first.id);
    await waitFor(() =>
      activityAttempts(sandbox.durable.inspect(first.id)?.history ?? []).some(
        (a) => a.name === "completeCertificate" && a.outcome === "failed",
      ),
    );
    // An operator terminates it through the durable webhook, with the system key (the app hands out no such link).
    const terminate = durableLinks(sandbox, first.id).terminatePostUri ?? "";
    expect((await fetch(terminate.replace("{text}", "operator"), { method: "POST" })).status).toBe(202);
    expect((await settle(sandbox, clock, first.id)).runtimeStatus).toBe("Terminated");
    sandbox.keyVault.faults.clear();

    const again = await api.requestCertificate(upn, "INC1101");
    expect(again.id).toBe(first.id);
    expect((await settle(sandbox, clock, again.id)).runtimeStatus).toBe("Completed");
    expect(await issuedVersions(name)).toBe(1);
    expect(await ledgerRecords(upn)).toEqual([expect.objectContaining({ status: "active" })]);
  });
});

describe("a terminal failure", () => {
  it("fails the issuance at once with the reason, without durable retries", async () => {
    const upn = "ida@contoso.com";
    const name = keyVaultCertificateName(assertUpn(upn), "INC1200");
    // The certificate name is soft-deleted: only an operator (recover or purge) can unblock it.
    const made = await kv.certificates.beginCreateCertificate(
      name,
      { issuerName: "Self", subject: "CN=ida@contoso.com", keySize: 2048 },
      { intervalInMs: 10 },
    );
    await made.pollUntilDone();
    await (await kv.certificates.beginDeleteCertificate(name, { intervalInMs: 10 })).pollUntilDone();

    const started = await api.requestCertificate(upn, "INC1200");
    instances.add(started.id);
    const done = await settle(sandbox, clock, started.id);
    expect(done.runtimeStatus).toBe("Failed");
    expect(String(done.output)).toContain("soft-deleted: recover it or purge it");
    const begins = activityAttempts(sandbox.durable.inspect(started.id)?.history ?? []).filter(
      (a) => a.name === "beginCertificate",
    );
    expect(begins).toHaveLength(1);
  });
});

describe("GET /api/v1/roots", () => {
  it("answers every field: name, subject, SHA-1 thumbprint, 10-year validity, one-line base64 DER", async () => {
    const listed = await api.call("GET", "/api/v1/roots");
    expect(listed.status).toBe(200);
    const roots = listed.body as Record<string, string>[];
    expect(roots).toHaveLength(1);
    const [root] = roots;
    if (root === undefined) throw new Error("no root");
    expect(Object.keys(root).sort()).toEqual(
      ["name", "notAfter", "notBefore", "publicCertData", "state", "subject", "thumbprint"].sort(),
    );
    expect(root.name).toBe("p2s-root-ca");
    expect(root.state).toBe("current");
    expect(root.subject).toBe("CN=P2S Root CA, O=p2s-lifecycle");
    expect(root.publicCertData).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);

    const dir = await TempDir.create();
    try {
      const file = await dir.write("root.der", Buffer.from(root.publicCertData ?? "", "base64"));
      const parsed = await dir.openssl([
        "x509",
        "-inform",
        "DER",
        "-in",
        file,
        "-noout",
        "-fingerprint",
        "-sha1",
        "-subject",
        "-dates",
      ]);
      expect(parsed.code).toBe(0);
      const fingerprint = /SHA1 Fingerprint=([0-9A-F:]+)/i.exec(parsed.stdout)?.[1]?.replace(/:/g, "");
      expect(root.thumbprint).toBe(fingerprint);
      expect(root.thumbprint).toMatch(/^[0-9A-F]{40}$/);
      const notBefore = Date.parse(/notBefore=(.+)/.exec(parsed.stdout)?.[1] ?? "");
      const notAfter = Date.parse(/notAfter=(.+)/.exec(parsed.stdout)?.[1] ?? "");
      expect(Date.parse(root.notBefore ?? "")).toBe(notBefore);
      expect(Date.parse(root.notAfter ?? "")).toBe(notAfter);
      // Ten years by default (CA_ROOT_VALIDITY_YEARS), notBefore slightly backdated.
      const days = (notAfter - notBefore) / 86_400_000;
      expect(days).toBeGreaterThanOrEqual(3652);
      expect(days).toBeLessThanOrEqual(3654);
      expect(notBefore).toBeLessThanOrEqual(Date.now());
    } finally {
      await dir.remove();
    }
  });
});

describe("the users routes", () => {
  it.each([
    ["GET", "/api/v1/users/ada@contoso.com/certificates"],
    ["POST", "/api/v1/users/ada@contoso.com/certificates"],
    ["POST", "/api/v1/users/ada@contoso.com/revocations"],
    ["POST", `/api/v1/users/ada@contoso.com/certificates/${"AB".repeat(20)}/pkcs12`],
  ])("%s %s answers 401 without the function key", async (method, path) => {
    const response = await fetch(`${sandbox.endpoints.host}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(method === "POST" ? { body: JSON.stringify({ requestId: "INC9999", reason: "x" }) } : {}),
    });
    expect(response.status).toBe(401);
  });
});

describe("private key material", () => {
  it("appears in no log line, ledger row, durable history, output or HTTP response", async () => {
    const upn = "hedy@contoso.com";
    const { id, thumbprint } = await issue(upn, "INC4000");
    const name = keyVaultCertificateName(assertUpn(upn), "INC4000");
    const passphrase = generatePassphrase();
    const pfx = Buffer.from(
      await exportUserPkcs12(kv, RootRegistry.fromConfig(getConfig()), name, passphrase, "aes256", { thumbprint }),
    );
    await api.call("GET", `/api/v1/users/${encodeURIComponent(upn)}/certificates`);
    await api.call("GET", "/api/v1/roots");

    // Every orchestration the host knows, through the durable HTTP API with full history, and through the backend.
    expect((await api.follow(statusLinkOf(id))).status).toBe(200);
    const listUrl = (durableLinks(sandbox, id).statusQueryGetUri ?? "").replace(/\/instances\/[^?]+/, "/instances");
    const all = (await api.follow(listUrl)).body as { instanceId: string }[];
    expect(all.map((i) => i.instanceId)).toEqual(expect.arrayContaining([...instances]));
    const durableText: string[] = [];
    for (const instance of all) {
      await api.follow(statusLinkOf(instance.instanceId));
      durableText.push(JSON.stringify(sandbox.durable.inspect(instance.instanceId)));
    }

    const haystacks: Record<string, string> = {
      logs: sandbox.logs.join("\n"),
      ledger: await dumpTables(sandbox.endpoints.storageConnectionString),
      durable: durableText.join("\n"),
      http: api.responses.join("\n"),
    };
    expect(haystacks.logs?.length).toBeGreaterThan(0);
    expect(haystacks.ledger).toContain(name);
    expect(haystacks.durable).toContain(name);

    const needles = ["PRIVATE KEY", passphrase, ...chunks(pfx.toString("base64"))];
    for (const certificateName of sandbox.keyVault.vault.certificateNames()) {
      if (!sandbox.keyVault.vault.describe(certificateName).exportable) continue;
      needles.push(...(await privateKeyNeedles(certificateName)));
    }
    expect(needles.length).toBeGreaterThan(50);
    for (const [where, text] of Object.entries(haystacks)) {
      const found = needles.filter((needle) => text.includes(needle));
      expect({ where, found }).toEqual({ where, found: [] });
    }
  });
});

/** The durable webhook's status link for any instance, with its history and the history's outputs. */
function statusLinkOf(instanceId: string): string {
  const url = new URL(durableLinks(sandbox, instanceId).statusQueryGetUri ?? "");
  for (const flag of ["showHistory", "showHistoryOutput", "showInput"]) url.searchParams.set(flag, "true");
  return url.toString();
}

/**
 * 64-character pieces of the key's base64 body, and the key's secret numbers as JWK base64url and hex. Pieces that
 * lie wholly in the public modulus and exponent (a PKCS#8 RSA key carries them too) are left out: they appear in
 * the certificate, the CSR and the API's answers by design.
 */
async function privateKeyNeedles(certificateName: string): Promise<string[]> {
  const secret = await kv.secrets.getSecret(certificateName);
  const block = pemBlocks(secret.value ?? "").find((b) => b.label === "PRIVATE KEY");
  if (block === undefined) throw new Error(`the secret of ${certificateName} holds no private key`);
  const key = createPrivateKey({ key: Buffer.from(block.der), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const publicForms = [0, 1, 2].map((shift) => spki.subarray(shift).toString("base64"));
  const needles = chunks(Buffer.from(block.der).toString("base64")).filter(
    (piece) => !publicForms.some((form) => form.includes(piece)),
  );
  const jwk = key.export({ format: "jwk" });
  for (const value of [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi]) {
    if (value === undefined) continue;
    needles.push(value.slice(0, 32), Buffer.from(value, "base64url").subarray(0, 24).toString("hex"));
  }
  block.der.fill(0);
  return needles;
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 64 <= text.length; i += 64) out.push(text.slice(i, i + 64));
  return out;
}

async function waitFor(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
