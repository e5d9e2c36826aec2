// A request's record against storage faults at the exact write, on the whole sandbox (the real app, the real table
// SDK, Azurite behind the storage fault proxy): when the start path's insert of the record fails, before or after the
// write, the caller sees a 5xx, yet the instance that did start writes its own record, so GET /api/v1/requests/{id}
// follows it; the caller's retry of the same request answers the same request and starts nothing more.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { createVirtualClock } from "../../../dev/host/clock";
import type { ManualClock } from "../../../dev/host/clock";
import type { StorageErrorFault } from "../../../dev/storage-fault-proxy";
import { Ledger } from "../../../src/clients/ledger";
import { getConfig } from "../../../src/config";
import { publicRequestId } from "../../../src/domain/requests";
import { assertUpn, keyVaultCertificateName } from "../../../src/domain/upn";
import { startTestSandbox } from "../../support/sandbox";
import type { TestSandbox } from "../../support/sandbox";
import { lifecycleInstanceCount, postTicket, ticketInstance } from "../../support/ticket-client";
import { waitFor } from "../../support/wait";

let sandbox: TestSandbox;
let clock: ManualClock;

beforeAll(async () => {
  clock = createVirtualClock(Date.now());
  sandbox = await startTestSandbox({ clock, storageFaultSeed: 16 });
});

afterAll(async () => {
  await sandbox.stop();
});

afterEach(() => {
  sandbox.storageFaults?.configure(undefined);
});

/** Every insert into the requests table (POST /<account>/<prefix>Requests) answers `fault`. */
function failRecordInserts(fault: Pick<StorageErrorFault, "status" | "code" | "afterForwarding">): void {
  const table = `${getConfig().LEDGER_TABLE_PREFIX}Requests`;
  const faults = sandbox.storageFaults;
  if (faults === undefined) throw new Error("the sandbox has no storage fault proxy");
  faults.configure({
    errors: [{ ...fault, probability: 1, match: { method: "POST", path: new RegExp(`/${table}(\\?|$)`) } }],
  });
}

/** GET /api/v1/requests/{id} until it answers 200, moving the virtual clock so durable retry timers fire. */
interface View {
  readonly status: string;
  readonly kind: string;
  readonly upn: string;
  readonly result?: Record<string, unknown>;
}

async function followed(requestId: string): Promise<View> {
  let step = 0;
  return waitFor(
    async () => {
      step += 1;
      if (step % 5 === 0) await clock.advance(2_000);
      const view = await sandbox.api("GET", `/api/v1/requests/${requestId}`);
      return view.status === 200 ? (view.body as View) : undefined;
    },
    { message: `GET /api/v1/requests/${requestId} to answer 200`, timeoutMs: 60_000, intervalMs: 50 },
  );
}

const ticket = (ticketId: string, upn: string): string =>
  JSON.stringify({ ticketId, action: "offboard", upn, requestedBy: "chaos", reason: "left the company" });

describe.each([
  ["before the write (503 ServerBusy on every try)", { status: 503, code: "ServerBusy" } as const],
  [
    "after the write (500 OperationTimedOut, the answer lost, on every try)",
    { status: 500, code: "OperationTimedOut", afterForwarding: true } as const,
  ],
])("a ticket whose request record insert fails %s", (name, fault) => {
  it("answers 5xx, the started request still gets its record, and the retry answers the same request", async () => {
    const suffix = name.startsWith("before") ? "before" : "after";
    const upn = `record-${suffix}@contoso.com`;
    const ticketId = `INC-RECORD-${suffix.toUpperCase()}`;
    const { instanceId, requestId } = ticketInstance({ ticketId, action: "offboard", upn });

    failRecordInserts(fault);
    const first = await postTicket(sandbox, ticket(ticketId, upn));
    sandbox.storageFaults?.configure(undefined);
    expect({ status: first.status, text: first.text }).toEqual({ status: 500, text: "" });
    expect(sandbox.durable.inspect(instanceId)).toBeDefined();

    // The instance writes its own record: the request can be followed although its start answered 500.
    expect(await followed(requestId)).toMatchObject({ kind: "offboard", upn });

    const instancesBefore = await lifecycleInstanceCount(sandbox);
    const again = await postTicket(sandbox, ticket(ticketId, upn));
    expect({ status: again.status, requestId: again.body.requestId }).toEqual({ status: 202, requestId });
    const ended = await waitFor(
      async () => {
        await clock.advance(2_000);
        const view = await followed(requestId);
        return view.status === "succeeded" || view.status === "failed" ? view : undefined;
      },
      { message: `request ${requestId} to end`, timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(ended.status).toBe("succeeded");
    // The retry started nothing: the one instance ran to the end.
    expect(await lifecycleInstanceCount(sandbox)).toBe(instancesBefore);
    expect(sandbox.durable.inspect(instanceId)?.runtimeStatus).toBe("Completed");
  }, 120_000);
});

it("an API issuance whose record insert fails before the write: 5xx, then its record, the retry the same id", async () => {
  const upn = "record-api@contoso.com";
  const body = { requestId: "REQ-RECORD-API" };
  const instanceId = `issue-${keyVaultCertificateName(assertUpn(upn), body.requestId, getConfig().CLIENT_CERT_NAME_PREFIX)}`;
  const requestId = publicRequestId(instanceId);

  failRecordInserts({ status: 503, code: "ServerBusy" });
  const first = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, body);
  sandbox.storageFaults?.configure(undefined);
  expect(first.status).toBe(500);
  expect(sandbox.durable.inspect(instanceId)).toBeDefined();

  expect(await followed(requestId)).toMatchObject({ kind: "issue", upn });
  const again = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, body);
  expect({ status: again.status, requestId: (again.body as { requestId?: string }).requestId }).toEqual({
    status: 202,
    requestId,
  });
}, 120_000);

it("a root rotation whose record insert fails before the write: 5xx, then GET, a second start and cancel find it", async () => {
  const rotations = (): string[] =>
    sandbox.durable.instanceIds().filter((id) => sandbox.durable.inspect(id)?.name === "rootRotation");
  failRecordInserts({ status: 503, code: "ServerBusy" });
  const first = await sandbox.api("POST", "/api/v1/roots/rotations", { reason: "yearly" });
  sandbox.storageFaults?.configure(undefined);
  expect(first.status).toBe(500);
  expect(rotations()).toHaveLength(1);
  const requestId = publicRequestId(rotations()[0] ?? "");

  expect(await followed(requestId)).toMatchObject({ kind: "rotation", upn: "" });
  // A second start joins the running rotation under the same request; the cancel route finds it by its record.
  const again = await sandbox.api("POST", "/api/v1/roots/rotations", { reason: "again" });
  expect({ status: again.status, body: again.body }).toMatchObject({
    status: 202,
    body: { requestId, joined: "true" },
  });
  const cancel = await sandbox.api("POST", `/api/v1/roots/rotations/${requestId}/cancel`, { reason: "not today" });
  expect({ status: cancel.status, body: cancel.body }).toMatchObject({ status: 202, body: { requestId } });
  const ended = await waitFor(
    async () => {
      await clock.advance(2_000);
      const view = await followed(requestId);
      return view.status === "succeeded" || view.status === "failed" ? view : undefined;
    },
    { message: `rotation ${requestId} to end`, timeoutMs: 60_000, intervalMs: 50 },
  );
  expect(ended).toMatchObject({ status: "succeeded", result: { status: "cancelled" } });
  expect(rotations()).toHaveLength(1);
  // The start's acceptance audit, which its failed record write kept it from writing, was written by the instance:
  // once, crediting who started it; the second start is audited as a repeat.
  const audit = (await Ledger.fromConfig(getConfig()).listAudit("root")).filter((a) => a.requestId === requestId);
  expect(
    audit
      .filter((a) => a.action === "rotation.accepted" || a.action === "rotation.repeated")
      .map((a) => [a.action, a.reason, a.source]),
  ).toEqual([
    ["rotation.accepted", "yearly", "manual"],
    ["rotation.repeated", "again", "manual"],
  ]);
}, 120_000);
