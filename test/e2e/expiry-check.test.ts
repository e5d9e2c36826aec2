// expiryCheck end to end on the sandbox (the app on the embedded host, the Key Vault and ARM emulators, Azurite) with
// a virtual clock: a hand-added gateway root expiring in 20 days raises one 30-day alert that the next day's run does
// not repeat; a gateway 80 % full raises a capacity alert with a forecast; the webhook (a local HTTPS receiver) gets
// Teams cards, then Slack blocks; GET /api/v1/alerts lists them (Gateways.Read); a certificate in the renewal window
// is renewed once and delivered, the old one stays active until it expires and is then marked expired.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { randomBytes } from "node:crypto";
import { createVirtualClock } from "../../dev/host/clock";
import type { ManualClock } from "../../dev/host/clock";
import { buildP2sGateway } from "../../dev/emulators/arm/p2s-gateway-fixture";
import { SANDBOX_GATEWAY_ID } from "../../dev/sandbox/sandbox";
import { Ledger } from "../../src/clients/ledger";
import { getConfig, resetConfig } from "../../src/config";
import type { ExpiryCheckResult } from "../../src/orchestrations/expiry-check";
import { startTestSandbox } from "../support/sandbox";
import type { InstanceStatus, TestSandbox } from "../support/sandbox";
import { startWebhookReceiver } from "../support/webhook-receiver";
import type { WebhookReceiver } from "../support/webhook-receiver";
import { selfSignedRoot } from "../integration/gateway-sync/roots";

const NEVER = "0 0 0 1 1 *";
const DAY = 86_400_000;
const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

let sandbox: TestSandbox;
let clock: ManualClock;
let receiver: WebhookReceiver;
let ledger: Ledger;
let t0: number;
const upn = `renew-${randomBytes(3).toString("hex")}@contoso.com`;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  t0 = Date.now();
  clock = createVirtualClock(t0);
  sandbox = await startTestSandbox({
    clock,
    settings: {
      GATEWAY_RECONCILE_SCHEDULE: NEVER,
      EXPIRY_CHECK_SCHEDULE: NEVER,
      ALERT_WEBHOOK_URL: receiver.url,
      ALERT_WEBHOOK_FORMAT: "teams",
      CLIENT_CERT_VALIDITY_DAYS: "20",
      CLIENT_RENEWAL_DAYS: "5",
      // A one-year CA root and a 400-day threshold: the Key Vault root is judged too.
      CA_ROOT_VALIDITY_YEARS: "1",
      EXPIRY_ALERT_THRESHOLDS_DAYS: "400,90,30,14,7,1",
    },
  });
  // The app trusts the sandbox's CA: the receiver serves a certificate of it.
  receiver.useCertificate(sandbox.ca.serverTlsOptions());
  ledger = Ledger.fromConfig(getConfig());
});

afterAll(async () => {
  await (sandbox as TestSandbox | undefined)?.stop();
  await receiver.stop();
});

/** Waits for an instance to end, moving the virtual clock so durable retry timers fire. */
async function settle(instanceId: string): Promise<InstanceStatus> {
  for (let step = 0; step < 2_000; step += 1) {
    const snapshot = sandbox.durable.inspect(instanceId);
    if (snapshot !== undefined && TERMINAL.has(snapshot.runtimeStatus)) {
      return { runtimeStatus: snapshot.runtimeStatus, output: snapshot.output, customStatus: snapshot.customStatus };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (step % 5 === 4) await clock.advance(1_000);
  }
  throw new Error(`instance ${instanceId} did not finish`);
}

/** Runs the expiryCheck timer once (the admin endpoint) and waits for the orchestration it started. */
async function runExpiryCheck(): Promise<ExpiryCheckResult> {
  const before = sandbox.logs.length;
  const response = await fetch(`${sandbox.endpoints.host}/admin/functions/expiryCheck`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
    body: JSON.stringify({ input: "" }),
  });
  expect(response.status).toBe(202);
  let instanceId: string | undefined;
  for (let i = 0; i < 500 && instanceId === undefined; i++) {
    for (const line of sandbox.logs.slice(before)) {
      const m = /expiryCheck: (expiryCheck-\d+) (started|restarted|existing)/.exec(line);
      if (m !== null) instanceId = m[1];
    }
    if (instanceId === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (instanceId === undefined) throw new Error("the expiryCheck timer logged no instance");
  const status = await settle(instanceId);
  expect(status.runtimeStatus).toBe("Completed");
  const result = status.output as ExpiryCheckResult;
  expect(result.failures).toEqual([]);
  return result;
}

interface TeamsCard {
  type: string;
  attachments: { contentType: string; content: { type: string; body: { type: string; text?: string }[] } }[];
}

function cardText(body: unknown): string {
  return JSON.stringify((body as TeamsCard).attachments[0]?.content.body ?? []);
}

function received(keyPart: string): unknown[] {
  return receiver.received
    .filter((r) => decodeURIComponent(String(r.headers["x-p2s-alert-key"])).includes(keyPart))
    .map((r) => r.body);
}

/** The certificate a renewal of `thumbprint` issued, once active (moving the virtual clock for durable retries). */
async function renewedCertificate(thumbprint: string) {
  for (let step = 0; step < 2_000; step += 1) {
    const all = await ledger.listUserCertificates(upn.toLowerCase());
    const found = all.find((c) => c.source === "renewal" && c.sourceId === thumbprint && c.status === "active");
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (step % 5 === 4) await clock.advance(1_000);
  }
  throw new Error(`no active renewal of ${thumbprint}`);
}

function rootsOnGateway(): number {
  const gateway = sandbox.arm.controls.gateway(SANDBOX_GATEWAY_ID) as {
    properties: { provisioningState?: string; vpnClientConfiguration: { vpnClientRootCertificates: unknown[] } };
  };
  if (gateway.properties.provisioningState !== "Succeeded") return 0;
  return gateway.properties.vpnClientConfiguration.vpnClientRootCertificates.length;
}

async function advanceTo(ms: number): Promise<void> {
  await clock.advance(ms - clock.now());
}

it("raises one 30-day alert for a root expiring in 20 days, not repeated by the next run, and a capacity alert with a forecast", async () => {
  // The start-up reconcile uploads the app's root; its writer waits on durable timers, which the virtual clock runs.
  for (let i = 0; i < 1_000 && rootsOnGateway() === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (i % 5 === 4) await clock.advance(1_000);
  }
  const gateway = sandbox.arm.controls.gateway(SANDBOX_GATEWAY_ID) as {
    properties: {
      vpnClientConfiguration: { vpnClientRootCertificates: { name: string; properties: { publicCertData: string } }[] };
    };
  };
  const appRoots = gateway.properties.vpnClientConfiguration.vpnClientRootCertificates.map((r) => ({
    name: r.name,
    publicCertData: r.properties.publicCertData,
  }));
  expect(appRoots).toHaveLength(1);
  const handRoot = { name: "HandAddedRoot", publicCertData: await selfSignedRoot("CN=Hand Added Root", 20) };
  // 240 of 300 revocation entries: 80 %.
  const revokedCertificates = Array.from({ length: 240 }, (_, i) => ({
    name: `hand-${i}`,
    thumbprint: randomBytes(20).toString("hex").toUpperCase(),
  }));
  sandbox.arm.controls.seedGateway(
    SANDBOX_GATEWAY_ID,
    buildP2sGateway({ id: SANDBOX_GATEWAY_ID, rootCertificates: [...appRoots, handRoot], revokedCertificates }),
  );
  // Ten revocations in the ledger over the last 30 days: a third a day, 60 entries left, full in 180 days. They are
  // among the 240 on the gateway, so the start-up writer's pass, which may still be running, adds nothing.
  for (let i = 0; i < 10; i++) {
    await ledger.putCertificate({
      userKey: `gone-${i}@contoso.com`,
      upn: `gone-${i}@contoso.com`,
      certificateName: `p2s-user-gone-${i}`,
      status: "revoked",
      requestId: `seed-${i}`,
      source: "api",
      sourceId: `seed-${i}`,
      thumbprint: revokedCertificates[i]?.thumbprint ?? "",
      notAfter: new Date(t0 + 100 * DAY),
      revokedAt: new Date(t0 - (i + 0.5) * DAY),
      updatedAt: new Date(t0),
    });
  }

  await runExpiryCheck();
  const rootCards = received("HandAddedRoot");
  expect(rootCards).toHaveLength(1);
  const card = rootCards[0] as TeamsCard;
  expect(card.type).toBe("message");
  expect(card.attachments[0]?.contentType).toBe("application/vnd.microsoft.card.adaptive");
  expect(card.attachments[0]?.content.type).toBe("AdaptiveCard");
  expect(cardText(card)).toContain("Root HandAddedRoot on gateway vgw-sandbox expires within 30 days");
  expect(received("HandAddedRoot").map((b) => cardText(b))).not.toContainEqual(expect.stringContaining("90 days"));
  const caRoot = received("expiry:ca-root:");
  expect(caRoot).toHaveLength(1);
  expect(cardText(caRoot[0])).toContain("The CA root p2s-root-ca in Key Vault expires within 400 days");
  const capacity = received("capacity:");
  expect(capacity).toHaveLength(1);
  expect(cardText(capacity[0])).toContain("the revocation list is 80 % full");
  expect(cardText(capacity[0])).toContain(
    "240 of 300 revocation entries are used; full in about 180 days at 0.33 revocations a day (last 30 days)",
  );

  // The next day's run: nothing new for the root or the capacity.
  await advanceTo(t0 + DAY);
  const count = receiver.received.length;
  await runExpiryCheck();
  expect(received("HandAddedRoot")).toHaveLength(1);
  expect(received("capacity:")).toHaveLength(1);
  expect(received("expiry:ca-root:")).toHaveLength(1);
  expect(receiver.received).toHaveLength(count);

  // The alerts are listed, newest first, for Gateways.Read; a token without the role gets 403.
  const listed = await sandbox.api("GET", "/api/v1/alerts?limit=10", undefined, sandbox.endpoints.readerToken);
  expect(listed.status).toBe(200);
  const alerts = (listed.body as { alerts: { key: string; kind?: string; delivery: string; raisedAt: string }[] })
    .alerts;
  const root30 = alerts.filter((a) => a.key.includes("HandAddedRoot"));
  expect(root30).toHaveLength(1);
  expect(root30[0]?.key.endsWith(":30")).toBe(true);
  expect(root30[0]?.delivery).toBe("sent");
  expect(alerts.some((a) => a.kind === "capacity")).toBe(true);
  const times = alerts.map((a) => a.raisedAt);
  expect([...times].sort().reverse()).toEqual(times);
  const page1 = await sandbox.api("GET", "/api/v1/alerts?limit=1", undefined, sandbox.endpoints.readerToken);
  const token = (page1.body as { continuationToken?: string }).continuationToken ?? "";
  expect(token).not.toBe("");
  const page2 = await sandbox.api(
    "GET",
    `/api/v1/alerts?limit=1&continuationToken=${encodeURIComponent(token)}`,
    undefined,
    sandbox.endpoints.readerToken,
  );
  expect(page2.status).toBe(200);
  expect((page2.body as { alerts: { key: string }[] }).alerts.map((a) => a.key)).toEqual([alerts[1]?.key]);
  const denied = await sandbox.api("GET", "/api/v1/alerts", undefined, sandbox.endpoints.userToken);
  expect(denied.status).toBe(403);
  const anonymous = await sandbox.api("GET", "/api/v1/alerts", undefined, null);
  expect(anonymous.status).toBe(401);
  expect((await sandbox.api("GET", "/api/v1/alerts?limit=0")).status).toBe(400);

  // Slack format: the next threshold (14 days) arrives as { text, blocks }.
  process.env.ALERT_WEBHOOK_FORMAT = "slack";
  resetConfig();
  await advanceTo(t0 + 7 * DAY);
  await runExpiryCheck();
  const slack = received("HandAddedRoot")[1] as { text: string; blocks: { type: string }[] };
  expect(slack.text).toContain("expires within 14 days");
  expect(slack.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]);
  expect(received("HandAddedRoot")).toHaveLength(2);
});

it("renews a certificate in the renewal window once, leaves the old one active until it expires, then marks it expired", async () => {
  const issued = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, {
    requestId: `renewal-${randomBytes(4).toString("hex")}`,
  });
  expect(issued.status).toBe(202);
  expect((await settle(await sandbox.instanceOf(issued.body))).runtimeStatus).toBe("Completed");
  const [original] = await ledger.listUserCertificates(upn.toLowerCase());
  expect(original?.status).toBe("active");
  const oldNotAfter = original?.notAfter?.getTime() ?? 0;

  // 16 days on, 4 days before it expires: inside CLIENT_RENEWAL_DAYS (5).
  await advanceTo(oldNotAfter - 4 * DAY);
  const run = await runExpiryCheck();
  const renewal = run.renewals.find((r) => r.thumbprint === original?.thumbprint);
  expect(renewal).toBeDefined();
  const request = await ledger.getRequest(renewal?.requestId ?? "");
  expect(request?.kind).toBe("renew");
  // Issued once the request's issuance step is done (its delivery, when there is one, then waits for collection).
  const renewed = await renewedCertificate(original?.thumbprint ?? "");
  expect(renewed.status).toBe("active");
  expect(renewed.thumbprint).not.toBe(original?.thumbprint);
  const status = sandbox.durable.inspect(request?.instanceId ?? "");
  expect(status?.runtimeStatus).not.toBe("Failed");
  // Delivered as a reissue is: the request waits for collection, and its credential is read once.
  const requestPath = `/api/v1/requests/${renewal?.requestId ?? ""}`;
  for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 50))) {
    const view = await sandbox.api("GET", requestPath);
    if ((view.body as { step?: string }).step === "awaiting-collection") break;
    if (Date.now() > deadline) throw new Error(`the renewal never awaited collection: ${view.text}`);
  }
  const credential = await sandbox.api("GET", `${requestPath}/credential`);
  expect(credential.status).toBe(200);
  expect(Object.keys(credential.body as object).sort()).toEqual(["downloadUrl", "expiresAt", "passphrase"]);
  expect((await sandbox.api("GET", `${requestPath}/credential`)).status).toBe(410);

  // Runs after it start nothing more for this certificate: one renewal, whatever the number of runs. (The renewed
  // certificate's validity follows the real clock, not the virtual one, so it is in the window too and is renewed in
  // its turn: that is another certificate's renewal.)
  await advanceTo(oldNotAfter - 3 * DAY);
  const again = await runExpiryCheck();
  expect(again.renewals.map((r) => r.thumbprint)).not.toContain(original?.thumbprint);
  await runExpiryCheck();
  const certificates = await ledger.listUserCertificates(upn.toLowerCase());
  const renewals = certificates.filter((c) => c.source === "renewal" && c.sourceId === original?.thumbprint);
  expect(renewals).toHaveLength(1);
  expect(renewals[0]?.status).toBe("active");
  expect(certificates.find((c) => c.thumbprint === original?.thumbprint)?.status).toBe("active");
  // Never revoked: the gateway's list does not carry the old thumbprint.
  const onGateway = JSON.stringify(sandbox.arm.controls.gateway(SANDBOX_GATEWAY_ID));
  expect(onGateway).not.toContain(original?.thumbprint ?? "none");

  // Past its notAfter the old one is marked expired.
  await advanceTo(oldNotAfter + 1_000);
  const later = await runExpiryCheck();
  expect(later.expired).toBeGreaterThanOrEqual(1);
  const after = await ledger.listUserCertificates(upn.toLowerCase());
  expect(after.find((c) => c.thumbprint === original?.thumbprint)?.status).toBe("expired");
});
