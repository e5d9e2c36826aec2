// HR events end to end: messages put on the sandbox's HR queue in Azurite (base64, as `az storage message put` and
// the HR integrations send them), polled by the dev host as the Functions host polls, handled by the real app. A hire
// issues; a termination in effect revokes on the gateway (read back with an ARM GET); one dated tomorrow does nothing
// until the virtual clock passes it; a rescinded one never revokes; duplicates and stale events do nothing; a
// malformed message is poisoned at once with its reason audited; a failing one is retried, then poisoned with an alert.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { readFile } from "node:fs/promises";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { createVirtualClock } from "../../dev/host/clock";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { hrTerminationInstanceId } from "../../src/domain/hr-events";
import { lifecycleInstanceId } from "../../src/domain/lifecycle";
import { assertUpn } from "../../src/domain/upn";
import { httpsRequest } from "../support/emulator-clients";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

const DAY = 24 * 3600_000;
const clock = createVirtualClock(Date.now());
let sandbox: TestSandbox;
let queue: QueueClient;
let poison: QueueClient;
let ca: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    clock,
    settings: {
      // Once a year: moving the virtual clock a day must not run the reconcile timer hundreds of times.
      GATEWAY_RECONCILE_SCHEDULE: "0 0 0 1 1 *",
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: "00:00:00.200",
    },
  });
  const cs = sandbox.endpoints.storageConnectionString;
  queue = new QueueClient(cs, sandbox.endpoints.hrEventsQueue);
  poison = new QueueClient(cs, `${sandbox.endpoints.hrEventsQueue}-poison`);
  // The sandbox creates the queue, as a deployment does: the trigger only reads it.
  expect(await queue.exists()).toBe(true);
  ca = await readFile(sandbox.endpoints.caFile, "utf8");
});

afterAll(async () => {
  await sandbox.stop();
  await queue.deleteIfExists();
  await poison.deleteIfExists();
});

const iso = (ms: number): string => new Date(ms).toISOString();
let occurred = Date.now() - DAY;
/** Increasing occurredAt times, in the order the HR system made the changes. */
const nextOccurredAt = (): string => iso((occurred += 1000));

async function put(message: unknown): Promise<void> {
  const text = typeof message === "string" ? message : JSON.stringify(message);
  await queue.sendMessage(Buffer.from(text, "utf8").toString("base64"));
}

const ledger = (): Ledger => Ledger.fromConfig(getConfig());

async function audited(subject: string, action: string, eventId?: string): Promise<string[]> {
  const entries = await ledger().listAudit(subject);
  return entries
    .filter((e) => e.action === action && (eventId === undefined || e.details?.eventId === eventId))
    .map((e) => e.reason);
}

function waitAudited(subject: string, action: string, eventId: string): Promise<string[]> {
  return waitFor(
    async () => {
      const reasons = await audited(subject, action, eventId);
      return reasons.length > 0 ? reasons : undefined;
    },
    { message: `${action} of ${eventId} in the audit`, timeoutMs: 60_000 },
  );
}

/**
 * The onboard request a hire starts, awaited until its certificate is issued (the request itself then waits for the
 * user to collect the delivery); answers the certificate's thumbprint.
 */
async function issuedFor(upn: string, eventId: string): Promise<string> {
  const instanceId = lifecycleInstanceId({ source: "hr", sourceKey: eventId, action: "onboard", upn });
  const issuance = `${instanceId}:issue`;
  await waitFor(() => sandbox.durable.inspect(issuance), {
    message: `the onboarding of ${eventId} to start issuing`,
    timeoutMs: 60_000,
  });
  const done = await sandbox.waitForInstance(issuance, 60_000);
  expect(done.runtimeStatus).toBe("Completed");
  const output = done.output as { status: string; thumbprint: string };
  expect(output.status).toBe("active");
  return output.thumbprint;
}

async function hire(upn: string, eventId: string): Promise<string> {
  await put({ eventId, type: "hire", upn, occurredAt: nextOccurredAt() });
  return issuedFor(upn, eventId);
}

/** The gateway's revoked thumbprints, read as the app reads them: an ARM GET through the emulator. */
async function revokedOnGateway(): Promise<string[]> {
  const id = sandbox.endpoints.gatewayIds[0] ?? "";
  const answer = await httpsRequest(new URL(`${id}?api-version=2024-05-01`, sandbox.endpoints.armUrl).href, {
    ca,
    token: "hr-events-test",
  });
  expect(answer.status).toBe(200);
  const gateway = answer.json as {
    properties: { vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] } };
  };
  return (gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? []).map(
    (r) => r.properties.thumbprint,
  );
}

async function poisonTexts(): Promise<string[]> {
  if (!(await poison.exists())) return [];
  const peeked = await poison.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => Buffer.from(m.messageText, "base64").toString("utf8"));
}

it("issues on a hire, revokes on the gateway on a termination in effect, and issues again on a rehire", async () => {
  const thumbprint = await hire("hr.ada@contoso.com", "HIRE-1");
  expect(await revokedOnGateway()).not.toContain(thumbprint);
  await put({ eventId: "TERM-1", type: "termination", upn: "hr.ada@contoso.com", occurredAt: nextOccurredAt() });
  await waitFor(async () => (await revokedOnGateway()).includes(thumbprint), {
    message: "the terminated user's certificate on the gateway's revoked list",
    timeoutMs: 60_000,
  });
  await put({ eventId: "REHIRE-1", type: "rehire", upn: "hr.ada@contoso.com", occurredAt: nextOccurredAt() });
  const again = await issuedFor("hr.ada@contoso.com", "REHIRE-1");
  expect(again).not.toBe(thumbprint);
  const certificates = await ledger().listUserCertificates("hr.ada@contoso.com");
  expect(certificates.map((c) => [c.thumbprint, c.status]).sort()).toEqual(
    [
      [thumbprint, "revoked"],
      [again, "active"],
    ].sort(),
  );
});

it("does nothing the second time for a duplicate, and ignores an event older than the one applied", async () => {
  const hireEvent = { eventId: "HIRE-2", type: "hire", upn: "hr.bob@contoso.com", occurredAt: nextOccurredAt() };
  await put(hireEvent);
  await put(hireEvent);
  const thumbprint = await issuedFor("hr.bob@contoso.com", "HIRE-2");
  // A termination, then a hire the HR system made before it, arriving late: the late hire is ignored.
  const hiredBefore = nextOccurredAt();
  await put({ eventId: "TERM-2", type: "termination", upn: "hr.bob@contoso.com", occurredAt: nextOccurredAt() });
  await waitAudited("hr.bob@contoso.com", "hr.event.applied", "TERM-2");
  await put({ eventId: "HIRE-2b", type: "rehire", upn: "hr.bob@contoso.com", occurredAt: hiredBefore });
  const ignored = await waitAudited("hr.bob@contoso.com", "hr.event.ignored", "HIRE-2b");
  expect(ignored[0]).toMatch(/not after termination TERM-2/);
  await waitFor(async () => (await revokedOnGateway()).includes(thumbprint), {
    message: "bob's certificate revoked",
    timeoutMs: 60_000,
  });
  await sandbox.host.idle();
  expect(await audited("hr.bob@contoso.com", "hr.event.applied", "HIRE-2")).toHaveLength(1);
  const certificates = await ledger().listUserCertificates("hr.bob@contoso.com");
  expect(certificates.map((c) => c.status)).toEqual(["revoked"]);
});

it("revokes a termination dated tomorrow only once the clock passes it, and never a rescinded one", async () => {
  const carol = await hire("hr.carol@contoso.com", "HIRE-3");
  const dave = await hire("hr.dave@contoso.com", "HIRE-4");
  const tomorrow = iso(clock.now() + DAY);
  for (const [upn, eventId] of [
    ["hr.carol@contoso.com", "TERM-3"],
    ["hr.dave@contoso.com", "TERM-4"],
  ] as const) {
    await put({ eventId, type: "termination", upn, effectiveAt: tomorrow, occurredAt: nextOccurredAt() });
    await waitAudited(upn, "hr.event.applied", eventId);
  }
  await put({
    eventId: "RESC-4",
    type: "termination-rescinded",
    upn: "hr.dave@contoso.com",
    occurredAt: nextOccurredAt(),
  });
  const rescinded = await waitAudited("hr.dave@contoso.com", "hr.event.applied", "RESC-4");
  expect(rescinded[0]).toMatch(/pending termination .* cancelled/);
  const daveWait = await sandbox.waitForInstance(hrTerminationInstanceId(assertUpn("hr.dave@contoso.com")));
  expect(daveWait.output).toMatchObject({ outcome: "cancelled", byEventId: "RESC-4" });

  const carolWait = hrTerminationInstanceId(assertUpn("hr.carol@contoso.com"));
  await sandbox.host.idle();
  expect(sandbox.durable.inspect(carolWait)?.runtimeStatus).toBe("Running");
  await clock.advance(DAY - 60_000);
  await sandbox.host.idle();
  expect(sandbox.durable.inspect(carolWait)?.runtimeStatus).toBe("Running");
  expect(await revokedOnGateway()).not.toContain(carol);

  await clock.advance(2 * 60_000);
  expect((await sandbox.waitForInstance(carolWait, 60_000)).output).toMatchObject({ outcome: "offboarded" });
  await waitFor(async () => (await revokedOnGateway()).includes(carol), {
    message: "carol's certificate revoked once her termination took effect",
    timeoutMs: 60_000,
  });
  await sandbox.host.idle();
  expect(await revokedOnGateway()).not.toContain(dave);
  const daves = await ledger().listUserCertificates("hr.dave@contoso.com");
  expect(daves.map((c) => c.status)).toEqual(["active"]);
});

it("puts a malformed message on the poison queue at once, with its reason audited", async () => {
  await put("this is not JSON");
  await put({ eventId: "BAD-1", type: "promotion", upn: "hr.erin@contoso.com", occurredAt: nextOccurredAt() });
  await put({ eventId: "BAD-2", type: "hire", upn: "erin at contoso", occurredAt: nextOccurredAt() });
  await put({ eventId: "BAD-3", type: "hire", upn: "hr.erin@contoso.com" });
  await waitFor(async () => (await poisonTexts()).length >= 4, { message: "four poisoned messages" });
  const texts = await poisonTexts();
  expect(texts).toContain("this is not JSON");
  expect(texts.some((t) => t.includes('"BAD-1"'))).toBe(true);
  expect(await audited("hr-events", "hr.event.rejected")).toContainEqual(expect.stringMatching(/not a JSON object/));
  expect(await audited("hr.erin@contoso.com", "hr.event.rejected", "BAD-1")).toEqual([
    expect.stringMatching(/type: must be one of/),
  ]);
  expect(await audited("hr.erin@contoso.com", "hr.event.rejected", "BAD-3")).toEqual([
    expect.stringMatching(/occurredAt/),
  ]);
  expect(await audited("hr-events", "hr.event.rejected", "BAD-2")).toEqual([expect.stringMatching(/^upn: /)]);
  // Poisoned by the function on the first try, not by the host after five.
  expect(sandbox.logs.filter((line) => line.startsWith("Queue: moving message"))).toEqual([]);
  expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
});

it("retries a failing event, and after five dequeues the host poisons it and an alert is raised", async () => {
  // A transient fault: the user's HR state row cannot be read until it is repaired.
  const table = TableClient.fromConnectionString(
    sandbox.endpoints.storageConnectionString,
    `${sandbox.settings.LEDGER_TABLE_PREFIX ?? ""}HrEvents`,
    { allowInsecureConnection: true },
  );
  const corrupt = (upn: string) =>
    table.upsertEntity(
      { partitionKey: "user", rowKey: upn, eventId: "X", type: "bogus", occurredAt: iso(0) },
      "Replace",
    );
  const failures = (): number =>
    sandbox.logs.filter((l) => l.includes("'Functions.hrEvents' (Failed") && l.includes("bogus")).length;

  // Repaired after two failed tries: the third try applies it.
  await corrupt("hr.fay@contoso.com");
  await put({ eventId: "HIRE-6", type: "hire", upn: "hr.fay@contoso.com", occurredAt: nextOccurredAt() });
  await waitFor(() => failures() >= 2, { message: "two failed tries" });
  await table.deleteEntity("user", "hr.fay@contoso.com");
  await issuedFor("hr.fay@contoso.com", "HIRE-6");

  const before = failures();
  await corrupt("hr.gus@contoso.com");
  const text = JSON.stringify({
    eventId: "HIRE-7",
    type: "hire",
    upn: "hr.gus@contoso.com",
    occurredAt: nextOccurredAt(),
  });
  await put(text);
  await waitFor(async () => (await poisonTexts()).includes(text), {
    message: "the failing event in the poison queue",
    timeoutMs: 60_000,
  });
  expect(failures() - before).toBe(5);
  expect(sandbox.logs.some((l) => l.includes("ALERT error: HR event not applied") && l.includes("HIRE-7"))).toBe(true);
  expect(sandbox.logs.some((l) => l.startsWith("Queue: moving message") && l.includes("5 dequeues"))).toBe(true);
});
