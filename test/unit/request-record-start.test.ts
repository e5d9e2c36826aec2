// The start paths' side of a request's record, against a fake durable client and an in-memory ledger: the instance
// is started first, with the very record the start path then writes in its input (so the instance can write it when
// this write fails); a start whose answer was lost still records the request; a retry after a failed record write
// joins the same instance and writes the record; the offboarding restart keeps the record; the activity the
// orchestrations call writes it once.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../support/durable/fake-invoker")>("../support/durable/fake-invoker").coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../src/activities/services", () => ({ services: () => mockServices }));

import type { DurableClient } from "durable-functions";
import "../../src/activities/request-record";
import { startLifecycleRequest } from "../../src/clients/lifecycle-start";
import { restartFailedOffboardings } from "../../src/clients/offboarding-restart";
import { lifecycleInstanceId } from "../../src/domain/lifecycle";
import type { LifecycleInput, LifecycleSubmission } from "../../src/domain/lifecycle";
import { publicRequestId, requestRecordOf } from "../../src/domain/requests";
import type { RequestRecord, RequestRecordInput } from "../../src/domain/requests";
import type { AuditEntry } from "../../src/domain/ledger";
import { recordInputOf } from "../../src/functions/request-answers";
import { FakeInvoker } from "../support/durable/fake-invoker";

const NOW = new Date("2030-01-01T12:00:00.000Z");

/** The requests and audit tables in memory; `failRecords` writes fail as a storage fault would (before the write). */
class FakeLedger {
  readonly requests = new Map<string, RequestRecord>();
  readonly audit: AuditEntry[] = [];
  failRecords = 0;

  recordRequest(record: RequestRecord): Promise<RequestRecord> {
    if (this.failRecords > 0) {
      this.failRecords -= 1;
      return Promise.reject(new Error("ServerBusy"));
    }
    const existing = this.requests.get(record.requestId);
    if (existing !== undefined) return Promise.resolve(existing);
    this.requests.set(record.requestId, record);
    return Promise.resolve(record);
  }

  /** Once per id, as the audit table takes it. */
  appendAudit(entry: AuditEntry): Promise<void> {
    if (!this.audit.some((a) => a.id === entry.id)) this.audit.push(entry);
    return Promise.resolve();
  }
}

interface Started {
  readonly name: string;
  readonly instanceId: string;
  readonly input: unknown;
}

/** A durable client over a map of instances; `loseNextStartAnswer` starts the instance and then throws (lost answer). */
class FakeClient {
  readonly instances = new Map<string, { runtimeStatus: string; input: unknown; name: string }>();
  readonly starts: Started[] = [];
  loseNextStartAnswer = false;

  getStatus(instanceId: string): Promise<{ runtimeStatus: string; input: unknown; name: string }> {
    const instance = this.instances.get(instanceId);
    if (instance === undefined) return Promise.reject(new Error(`getStatus failed: HTTP 404 for ${instanceId}`));
    return Promise.resolve(instance);
  }

  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string> {
    this.starts.push({ name, instanceId: options.instanceId, input: options.input });
    this.instances.set(options.instanceId, { runtimeStatus: "Pending", input: options.input, name });
    if (this.loseNextStartAnswer) {
      this.loseNextStartAnswer = false;
      return Promise.reject(new Error("the connection was reset"));
    }
    return Promise.resolve(options.instanceId);
  }

  getStatusBy(): Promise<{ instanceId: string; name: string }[]> {
    return Promise.resolve(
      [...this.instances].filter(([, i]) => i.runtimeStatus === "Failed").map(([id, i]) => ({ instanceId: id, ...i })),
    );
  }
}

const submission: LifecycleSubmission = {
  source: "ticket",
  sourceKey: "INC0042",
  action: "offboard",
  upn: "Ada@Contoso.com",
  actor: "ticket:servicenow",
  submitterObjectId: "00000000-0000-0000-0000-0000000000aa",
  ticketId: "INC0042",
};
const instanceId = lifecycleInstanceId(submission);
const requestId = publicRequestId(instanceId);

let ledger: FakeLedger;
let client: FakeClient;

beforeEach(() => {
  ledger = new FakeLedger();
  client = new FakeClient();
  mockServices = {
    ledger,
    config: {
      CLIENT_CERT_NAME_PREFIX: "p2s-test",
      GATEWAY_RESOURCE_IDS: [],
      GATEWAY_BUSY_BACKOFF_MS: 1,
      GATEWAY_COALESCE_MS: 0,
      GATEWAY_BUSY_ALERT_MS: 1,
    },
  };
});

const LATER = new Date("2030-01-01T12:05:00.000Z");
const start = (at = NOW) => startLifecycleRequest(client as unknown as DurableClient, submission, at);
const audited = (): string[] => ledger.audit.map((a) => `${a.action} ${a.at.toISOString()}`);
const startedInput = (): LifecycleInput => client.starts[0]?.input as LifecycleInput;

describe("requestRecordOf", () => {
  it("names the record by the public id of its instance and keeps every field, the time as a Date", () => {
    const input: RequestRecordInput = {
      kind: "renew",
      upn: "ada@contoso.com",
      submittedBy: "system:renewal",
      createdAt: NOW.toISOString(),
    };
    expect(requestRecordOf("lifecycle-x", input)).toEqual({
      requestId: publicRequestId("lifecycle-x"),
      instanceId: "lifecycle-x",
      kind: "renew",
      upn: "ada@contoso.com",
      submittedBy: "system:renewal",
      createdAt: NOW,
    });
    expect(requestRecordOf("i", { ...input, submitterObjectId: "oid" }).submitterObjectId).toBe("oid");
  });
});

describe("recordInputOf", () => {
  it("carries the submitter's label and object id (when it has one) and the acceptance time", () => {
    const accepted = { kind: "issue", upn: "ada@contoso.com", submitter: { label: "app:x" } } as const;
    expect(recordInputOf(accepted, NOW)).toEqual({
      kind: "issue",
      upn: "ada@contoso.com",
      submittedBy: "app:x",
      createdAt: NOW.toISOString(),
    });
    const withOid = { ...accepted, submitter: { label: "app:x", objectId: "oid" } };
    expect(recordInputOf(withOid, NOW).submitterObjectId).toBe("oid");
  });
});

describe("startLifecycleRequest", () => {
  it("starts the instance with its record in the input, then writes that same record", async () => {
    expect(await start()).toEqual({ requestId, instanceId, started: true });
    expect(client.starts).toHaveLength(1);
    const carried = startedInput().record;
    expect(carried).toEqual({
      kind: "offboard",
      upn: "Ada@Contoso.com",
      submittedBy: "ticket:servicenow",
      submitterObjectId: "00000000-0000-0000-0000-0000000000aa",
      createdAt: NOW.toISOString(),
    });
    expect(ledger.requests.get(requestId)).toEqual(requestRecordOf(instanceId, carried as RequestRecordInput));
    expect(ledger.audit.map((a) => a.action)).toEqual(["request.accepted"]);
  });

  it("a record write that fails after the start: the error reaches the caller, the instance carries the record", async () => {
    ledger.failRecords = 1;
    await expect(start()).rejects.toThrow("ServerBusy");
    expect(client.starts).toHaveLength(1);
    expect(ledger.requests.size).toBe(0);
    // What the instance writes first (ensureOwnRequestRecord): the record GET reads.
    expect(requestRecordOf(instanceId, startedInput().record as RequestRecordInput).requestId).toBe(requestId);
  });

  it("the caller's retry after that joins the same instance and writes the record: one start, same request", async () => {
    ledger.failRecords = 1;
    await expect(start()).rejects.toThrow("ServerBusy");
    expect(await start()).toEqual({ requestId, instanceId, started: false });
    expect(client.starts).toHaveLength(1);
    expect(ledger.requests.get(requestId)?.instanceId).toBe(instanceId);
  });

  it("a retry after a record write that failed audits the lost acceptance at its own time, once, and the repeat", async () => {
    ledger.failRecords = 1;
    await expect(start()).rejects.toThrow("ServerBusy");
    expect(ledger.audit).toEqual([]);
    // The instance writes its record first (recordOwnRequest), with the first call's acceptance time.
    const own = requestRecordOf(instanceId, startedInput().record as RequestRecordInput);
    ledger.requests.set(own.requestId, own);
    expect(await start(LATER)).toMatchObject({ requestId, started: false });
    expect(audited()).toEqual([`request.accepted ${NOW.toISOString()}`, `request.repeated ${LATER.toISOString()}`]);
    expect(ledger.audit[0]).toMatchObject({ id: `${requestId}:accepted:${NOW.toISOString()}` });
  });

  it("a plain repeat audits the repeat only: the acceptance it would fill in is there", async () => {
    await start();
    await start(LATER);
    expect(audited()).toEqual([`request.accepted ${NOW.toISOString()}`, `request.repeated ${LATER.toISOString()}`]);
  });

  it("a start whose answer was lost is taken as started by that call's check, and the request is recorded", async () => {
    client.loseNextStartAnswer = true;
    expect(await start()).toEqual({ requestId, instanceId, started: false });
    expect(client.starts).toHaveLength(1);
    expect(ledger.requests.get(requestId)?.instanceId).toBe(instanceId);
  });

  it("a failed status read before the start starts nothing and records nothing", async () => {
    client.getStatus = () => Promise.reject(new Error("ServerBusy"));
    await expect(start()).rejects.toThrow("ServerBusy");
    expect(client.starts).toHaveLength(0);
    expect(ledger.requests.size).toBe(0);
  });
});

describe("restartFailedOffboardings", () => {
  it("starts a failed offboarding again with the request record its first run carried", async () => {
    const record: RequestRecordInput = {
      kind: "offboard",
      upn: "ada@contoso.com",
      submittedBy: "app:x",
      createdAt: NOW.toISOString(),
    };
    const request = { upn: "ada@contoso.com", requestId: "off-1", reason: "left", gatewayIds: ["/old"] };
    client.instances.set("offboard-1", {
      runtimeStatus: "Failed",
      input: { request, writers: [], record },
      name: "offboardUser",
    });
    const restarted = await restartFailedOffboardings(client as unknown as DurableClient, []);
    expect(restarted).toEqual([
      { instanceId: "offboard-1", upn: "ada@contoso.com", requestId: "off-1", outcome: "restarted" },
    ]);
    expect(client.starts[0]?.input).toEqual({ request: { ...request, gatewayIds: [] }, writers: [], record });
  });
});

describe("the recordOwnRequest activity", () => {
  const invoker = new FakeInvoker();

  it("writes the record under its instance's public id, and a second run keeps the first record", async () => {
    const record: RequestRecordInput = {
      kind: "rotation",
      upn: "",
      submittedBy: "system:schedule",
      createdAt: NOW.toISOString(),
    };
    const first = await invoker.invoke("recordOwnRequest", { instanceId: "root-rotation-1", record });
    expect(first.returnValue).toEqual({ requestId: publicRequestId("root-rotation-1") });
    const later = { ...record, createdAt: "2031-01-01T00:00:00.000Z" };
    await invoker.invoke("recordOwnRequest", { instanceId: "root-rotation-1", record: later });
    expect([...ledger.requests.values()]).toEqual([requestRecordOf("root-rotation-1", record)]);
  });

  it("fails when the write fails, so the orchestration's retry policy runs it again", async () => {
    ledger.failRecords = 1;
    const record: RequestRecordInput = {
      kind: "issue",
      upn: "a@contoso.com",
      submittedBy: "x",
      createdAt: NOW.toISOString(),
    };
    await expect(invoker.invoke("recordOwnRequest", { instanceId: "issue-1", record })).rejects.toThrow("ServerBusy");
    expect(ledger.requests.size).toBe(0);
  });
});
