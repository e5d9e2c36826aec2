// Ticketing through the whole sandbox: a helpdesk tool signs its request with the shared secret (or sends a token with
// Requests.Submit); onboard, offboard and reissue run on the real orchestrations against the emulators; the same
// ticket again names the same request; and every refusal leaves nothing started.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { lifecycleInstanceCount, nothingStarted, postTicket, ticketInstance } from "../support/ticket-client";
import type { TicketAnswer, TicketOptions } from "../support/ticket-client";
import { waitFor } from "../support/wait";

const execFileAsync = promisify(execFile);
const PREVIOUS_SECRET = randomBytes(32).toString("base64url");
let sandbox: TestSandbox;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "p2s-tickets-"));
  sandbox = await startTestSandbox({ settings: { TICKETING_SHARED_SECRET_PREVIOUS: PREVIOUS_SECRET } });
});

afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface RequestView {
  readonly requestId: string;
  readonly kind: string;
  readonly upn: string;
  readonly status: string;
  readonly step: string | null;
  readonly result?: Record<string, unknown>;
  readonly error?: string;
}

const gatewayId = (): string => sandbox.endpoints.gatewayIds[0] ?? "";

/** Follows the request at the URL the 202 gave until it has ended. */
async function ended(answer: TicketAnswer): Promise<RequestView> {
  const statusUrl = String(answer.body.statusUrl);
  return waitFor(
    async () => {
      const response = await fetch(statusUrl, {
        headers: {
          "x-functions-key": sandbox.endpoints.functionKey,
          authorization: `Bearer ${sandbox.endpoints.readerToken}`,
        },
      });
      const view = (await response.json()) as RequestView;
      return view.status === "succeeded" || view.status === "failed" ? view : undefined;
    },
    { message: `the request at ${statusUrl} to end`, timeoutMs: 60_000, intervalMs: 50 },
  );
}

/** Follows the request until it has ended or waits on its user to collect the new certificate. */
async function settled(answer: TicketAnswer): Promise<RequestView> {
  const statusUrl = String(answer.body.statusUrl);
  return waitFor(
    async () => {
      const view = await viewAt(statusUrl);
      const done = view.status === "succeeded" || view.status === "failed" || view.step === "awaiting-collection";
      return done ? view : undefined;
    },
    { message: `the request at ${statusUrl} to end or await collection`, timeoutMs: 60_000, intervalMs: 50 },
  );
}

async function viewAt(statusUrl: string): Promise<RequestView> {
  const response = await fetch(statusUrl, {
    headers: {
      "x-functions-key": sandbox.endpoints.functionKey,
      authorization: `Bearer ${sandbox.endpoints.readerToken}`,
    },
  });
  return (await response.json()) as RequestView;
}

/** The user's one active certificate's thumbprint. */
async function activeThumbprint(upn: string): Promise<string> {
  const active = (await certificatesOf(upn)).filter((c) => c.status === "active");
  expect(active).toHaveLength(1);
  return active[0]?.thumbprint ?? "";
}

interface CertificateView {
  readonly thumbprint: string;
  readonly status: string;
  readonly certificatePem: string | null;
}

async function certificatesOf(upn: string): Promise<CertificateView[]> {
  return (await sandbox.api("GET", `/api/v1/users/${upn}/certificates`)).body as CertificateView[];
}

function revokedOnGateway(): string[] {
  const gateway = sandbox.arm.controls.gateway(gatewayId()) as {
    properties: { vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] } };
  };
  return (gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? []).map(
    (r) => r.properties.thumbprint,
  );
}

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { stdio: "pipe" }).toString();
}

async function rootPem(): Promise<string> {
  const [root] = (await sandbox.api("GET", "/api/v1/roots")).body as { publicCertData: string }[];
  const base64 = root?.publicCertData ?? "";
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;
}

/** Onboards the user and returns the new certificate's thumbprint once it awaits collection. */
async function onboarded(upn: string, ticketId: string): Promise<string> {
  const answer = await postTicket(sandbox, JSON.stringify({ action: "onboard", upn, ticketId }));
  expect(answer.status).toBe(202);
  const view = await settled(answer);
  expect(view).toMatchObject({ kind: "onboard", status: "running", step: "awaiting-collection" });
  return activeThumbprint(upn);
}

describe("POST /api/v1/requests", () => {
  it("onboards on a signed ticket: the certificate verifies for client auth against the root, and the same ticket again names the same request", async () => {
    const body = JSON.stringify({ action: "onboard", upn: "Ada@contoso.com", ticketId: "INC1001", requestedBy: "it" });
    const first = await postTicket(sandbox, body);
    expect(first.status).toBe(202);
    expect(Object.keys(first.body).sort()).toEqual(["requestId", "status", "statusUrl"]);
    expect(first.body).toMatchObject({
      status: "pending",
      requestId: ticketInstance({ ticketId: "INC1001", action: "onboard", upn: "ada@contoso.com" }).requestId,
    });
    const view = await settled(first);
    // Issued; the delivery waits on the user to collect it, and the request shows the step.
    expect(view).toMatchObject({
      kind: "onboard",
      upn: "Ada@contoso.com",
      status: "running",
      step: "awaiting-collection",
    });
    const thumbprint = await activeThumbprint("ada@contoso.com");

    const again = await postTicket(sandbox, body);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ requestId: first.body.requestId, status: "running" });

    const certificates = await certificatesOf("ada@contoso.com");
    expect(certificates).toEqual([expect.objectContaining({ thumbprint, status: "active" })]);
    const cert = join(dir, "ada.pem");
    const root = join(dir, "root.pem");
    writeFileSync(cert, certificates[0]?.certificatePem ?? "");
    writeFileSync(root, await rootPem());
    expect(openssl("verify", "-purpose", "sslclient", "-CAfile", root, cert).trim()).toBe(`${cert}: OK`);

    const audit = await Ledger.fromConfig(getConfig()).listAudit("ada@contoso.com");
    const accepted = audit.find((e) => e.action === "request.accepted");
    expect(accepted).toMatchObject({ source: "ticket", actor: "ticket:signed (current secret)" });
    expect(accepted?.details).toMatchObject({ ticketId: "INC1001", action: "onboard" });
    expect(audit.filter((e) => e.action === "request.repeated")).toHaveLength(1);
  });

  it("accepts the README's signed curl: openssl dgst over '<timestamp>.<body>'", async () => {
    const script = [
      'BODY=\'{"action":"onboard","upn":"dee@contoso.com","ticketId":"INC0012345","requestedBy":"helpdesk"}\'',
      "TS=$(date +%s)",
      `SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)`,
      `curl -s -X POST "$HOST/api/v1/requests" -H "x-functions-key: $K" -H 'content-type: application/json' \\`,
      `  -H "X-Request-Timestamp: $TS" -H "X-Signature-256: sha256=$SIG" --data-binary "$BODY"`,
    ].join("\n");
    // Asynchronously: the sandbox answers from this process, so a synchronous child would wait on it forever.
    const { stdout: out } = await execFileAsync("bash", ["-c", script], {
      env: {
        ...process.env,
        SECRET: sandbox.endpoints.ticketSecret,
        K: sandbox.endpoints.functionKey,
        HOST: sandbox.endpoints.host,
      },
    });
    const answer = JSON.parse(out) as Record<string, unknown>;
    expect(answer.status).toBe("pending");
    expect(String(answer.requestId)).toMatch(/^[0-9a-f]{32}$/);
    expect(await settled({ status: 202, body: answer, text: out })).toMatchObject({
      kind: "onboard",
      step: "awaiting-collection",
    });
  });

  it("takes a Requests.Submit token instead of a signature, and refuses a token without that role", async () => {
    const body = JSON.stringify({ action: "onboard", upn: "tom@contoso.com", ticketId: "RITM0001" });
    const reader = await postTicket(sandbox, body, { secret: null, token: sandbox.endpoints.readerToken });
    expect(reader.status).toBe(403);
    await nothingStarted(sandbox, { ticketId: "RITM0001", action: "onboard", upn: "tom@contoso.com" });
    const admin = await postTicket(sandbox, body, { secret: null, token: sandbox.endpoints.adminToken });
    expect(admin.status).toBe(202);
    expect(await settled(admin)).toMatchObject({ status: "running", step: "awaiting-collection" });
  });

  it("accepts a signature made with the previous secret while it is being rotated out", async () => {
    const body = JSON.stringify({ action: "offboard", upn: "nobody@contoso.com", ticketId: "INC1002" });
    const answer = await postTicket(sandbox, body, { secret: PREVIOUS_SECRET });
    expect(answer.status).toBe(202);
    expect(await ended(answer)).toMatchObject({ kind: "offboard", status: "succeeded" });
  });

  it("offboards on a signed ticket: the thumbprints revoked on the gateway and the user's sessions ended", async () => {
    const thumbprint = await onboarded("ben@contoso.com", "INC2001");
    const ben = sandbox.arm.controls.connectSession(gatewayId(), { vpnUserName: "ben@contoso.com" });
    const eva = sandbox.arm.controls.connectSession(gatewayId(), { vpnUserName: "eva@contoso.com" });
    const answer = await postTicket(
      sandbox,
      JSON.stringify({ action: "offboard", upn: "ben@contoso.com", ticketId: "INC2002", reason: "left" }),
    );
    expect(answer.status).toBe(202);
    const offboarded = await ended(answer);
    expect(offboarded).toMatchObject({
      kind: "offboard",
      status: "succeeded",
      result: { revokedThumbprints: [thumbprint] },
    });
    await waitFor(() => revokedOnGateway().includes(thumbprint), {
      timeoutMs: 20_000,
      message: "ben's thumbprint on the gateway's revocation list",
    });
    await waitFor(() => !sandbox.arm.controls.sessions(gatewayId()).some((s) => s.vpnConnectionId === ben), {
      timeoutMs: 20_000,
      message: "ben's session to be ended",
    });
    expect(sandbox.arm.controls.sessions(gatewayId()).map((s) => s.vpnConnectionId)).toContain(eva);
    expect(await certificatesOf("ben@contoso.com")).toEqual([
      expect.objectContaining({ thumbprint, status: "revoked" }),
    ]);
  });

  it("reissues for a lost device: the old certificate revoked at once, one new active certificate", async () => {
    const old = await onboarded("cy@contoso.com", "INC3001");
    const answer = await postTicket(
      sandbox,
      JSON.stringify({ action: "reissue", upn: "cy@contoso.com", ticketId: "INC3002", lostDevice: true }),
    );
    expect(answer.status).toBe(202);
    const view = await settled(answer);
    expect(view).toMatchObject({ kind: "reissue", status: "running", step: "awaiting-collection" });
    const certificates = await certificatesOf("cy@contoso.com");
    const fresh = certificates.find((c) => c.thumbprint !== old)?.thumbprint ?? "";
    expect(certificates.filter((c) => c.status === "active").map((c) => c.thumbprint)).toEqual([fresh]);
    expect(certificates.find((c) => c.thumbprint === old)?.status).toBe("revoked");
    await waitFor(() => revokedOnGateway().includes(old), {
      timeoutMs: 20_000,
      message: "the lost device's thumbprint on the gateway",
    });
    expect(revokedOnGateway()).not.toContain(fresh);
  });

  describe("refuses, with nothing started", () => {
    const upn = "zed@contoso.com";
    const valid = { action: "onboard", upn, ticketId: "INC9000" } as const;
    const key = { ticketId: valid.ticketId, action: valid.action, upn };

    // Options are made when each case runs: a timestamp taken while the table is built would age meanwhile.
    it.each<[string, () => TicketOptions, number]>([
      ["a wrong secret", () => ({ secret: randomBytes(32).toString("base64url") }), 401],
      ["a stale timestamp", () => ({ signedAtMs: Date.now() - 301_000 }), 401],
      ["a timestamp from the future", () => ({ signedAtMs: Date.now() + 301_000 }), 401],
      [
        "a body changed after signing",
        () => ({ sentBody: JSON.stringify({ ...valid, upn: "zed2@contoso.com" }) }),
        401,
      ],
      ["no signature and no token", () => ({ secret: null }), 401],
    ])("%s", async (_what, options, status) => {
      const instances = await lifecycleInstanceCount(sandbox);
      const answer = await postTicket(sandbox, JSON.stringify(valid), options());
      expect(answer.status).toBe(status);
      expect(await lifecycleInstanceCount(sandbox)).toBe(instances);
      await nothingStarted(sandbox, key);
      await nothingStarted(sandbox, { ...key, upn: "zed2@contoso.com" });
    });

    it("a refused signature is audited, without the body", async () => {
      const before = await Ledger.fromConfig(getConfig()).listAudit("ticketing");
      const answer = await postTicket(sandbox, JSON.stringify(valid), {
        secret: randomBytes(32).toString("base64url"),
      });
      expect(answer.status).toBe(401);
      const after = await Ledger.fromConfig(getConfig()).listAudit("ticketing");
      const added = after.filter((e) => !before.some((b) => b.id === e.id));
      expect(added).toEqual([
        expect.objectContaining({ action: "request.refused", reason: "signature mismatch", source: "ticket" }),
      ]);
      expect(JSON.stringify(added)).not.toContain(upn);
    });

    it("an oversize body, refused while it is read", async () => {
      const body = JSON.stringify({ ...valid, reason: "x".repeat(64 * 1024) });
      const instances = await lifecycleInstanceCount(sandbox);
      const answer = await postTicket(sandbox, body);
      expect(answer.status).toBe(413);
      expect(await lifecycleInstanceCount(sandbox)).toBe(instances);
      await nothingStarted(sandbox, key);
    });

    it.each([
      ["bad JSON", "{ not json", /not valid JSON/],
      ["a missing ticketId", JSON.stringify({ action: "onboard", upn }), /ticketId/],
      ["an unknown action", JSON.stringify({ ...valid, action: "promote" }), /action/],
      ["lostDevice on an onboarding", JSON.stringify({ ...valid, lostDevice: true }), /lostDevice/],
      ["a DN metacharacter in the UPN", JSON.stringify({ ...valid, upn: "zed,O=evil@contoso.com" }), /upn: .*','/],
      ["a control character in the UPN", JSON.stringify({ ...valid, upn: "zed\u0001@contoso.com" }), /upn: .*control/],
      ["a private callback", JSON.stringify({ ...valid, callbackUrl: "https://10.0.0.5/hook" }), /callbackUrl/],
      [
        "a link-local callback",
        JSON.stringify({ ...valid, callbackUrl: "https://169.254.169.254/hook" }),
        /callbackUrl/,
      ],
      [
        "a callback outside the allowlist",
        JSON.stringify({ ...valid, callbackUrl: "https://attacker.example.net/hook" }),
        /callbackUrl/,
      ],
    ])("%s: 400 naming the field", async (_what, body, detail) => {
      const instances = await lifecycleInstanceCount(sandbox);
      const answer = await postTicket(sandbox, body);
      expect(answer.status).toBe(400);
      expect(await lifecycleInstanceCount(sandbox)).toBe(instances);
      expect(String(answer.body.detail)).toMatch(detail);
      await nothingStarted(sandbox, key);
    });
  });
});
