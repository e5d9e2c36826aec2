// Every orchestration that serves a public request writes its own request record first when its input carries one
// (the start path's write of it may fail after the start), under its own instance id, with its retry policy; an input
// without one (a sub-orchestration, an instance started before the field existed) schedules nothing new, so replays of
// those histories are unchanged. A lifecycle request whose record cannot be written fails audited, with the reason.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import type { OrchestrationHandler } from "durable-functions";
import { issueClientCertificate } from "../../../src/orchestrations/issue-certificate";
import { lifecycleRequest } from "../../../src/orchestrations/lifecycle-request";
import { offboardUser } from "../../../src/orchestrations/offboard-user";
import { rootRotation } from "../../../src/orchestrations/root-rotation";
import type { LifecycleInput } from "../../../src/domain/lifecycle";
import type { IssuanceRequest } from "../../../src/domain/issuance";
import type { OffboardInput } from "../../../src/orchestrations/offboard-user";
import type { RequestRecordInput } from "../../../src/domain/requests";
import type { RotationInput } from "../../../src/domain/rotation-run";
import { OrchestrationDriver } from "./orchestration-driver";

const INSTANCE = "instance-under-test";
const record: RequestRecordInput = {
  kind: "offboard",
  upn: "Ada@contoso.com",
  submittedBy: "ticket:servicenow",
  submitterObjectId: "00000000-0000-0000-0000-0000000000aa",
  createdAt: "2030-01-01T00:00:00.000Z",
};

const lifecycle: LifecycleInput = {
  requestId: "0123456789abcdef0123456789abcdef",
  source: "ticket",
  sourceKey: "INC0001",
  action: "offboard",
  upn: "Ada@contoso.com",
  actor: "ticket:servicenow",
  requestedAt: "2030-01-01T00:00:00.000Z",
  certificateNamePrefix: "p2s-test",
  writers: [],
};
const issuance: IssuanceRequest = {
  upn: "Ada@contoso.com",
  requestId: "REQ-1",
  source: "api",
  sourceId: "REQ-1",
  actor: "app:admin",
  certificateNamePrefix: "p2s-test",
  requestedAt: "2030-01-01T00:00:00.000Z",
};
const offboarding: OffboardInput = {
  request: {
    upn: "Ada@contoso.com",
    requestId: "off-1",
    reason: "left",
    source: "api",
    sourceId: "off-1",
    actor: "app:admin",
    gatewayIds: [],
  },
  writers: [],
};
const rotation: RotationInput = {
  rotationId: "r".repeat(32),
  trigger: "manual",
  actor: "app:admin",
  reason: "yearly",
  requestedAt: "2030-01-01T00:00:00.000Z",
  gatewayIds: [],
  settings: {
    graceDays: 1,
    batchSize: 2,
    pollSeconds: 10,
    collectionCheckMinutes: 60,
    gatewayDeadlineHours: 1,
  },
};

/** What the orchestrator first waits on: an activity's name, or "timer" (the rotation's cancellable pause). */
function firstWait(orchestrator: OrchestrationHandler, input: unknown): { name: string; call?: unknown } {
  const flow = new OrchestrationDriver(orchestrator, input, {
    instanceId: INSTANCE,
    currentUtcDateTime: new Date("2030-01-01T00:00:01.000Z"),
    waitForExternalEvent: () => ({ isCompleted: false }),
    createTimer: (at: Date) => ({ timer: at, cancel: () => undefined }),
    Task: { any: (tasks: unknown[]) => ({ any: tasks }) },
  });
  const pending = flow.pending as { actionObj?: unknown; any?: unknown };
  if (pending.any !== undefined) return { name: "timer" };
  return { name: flow.call.functionName, call: flow.call };
}

const RECORD_CALL = { functionName: "recordOwnRequest", input: { instanceId: INSTANCE, record } };

describe.each([
  ["lifecycleRequest", lifecycleRequest, lifecycle, "checkLifecycleStanding"],
  ["issueClientCertificate", issueClientCertificate, issuance, "checkVpnGroup"],
  ["offboardUser", offboardUser, offboarding, "markUserRevoked"],
  ["rootRotation", rootRotation, rotation, "timer"],
] as const)("%s", (_name, orchestrator, input, firstWithout) => {
  it("writes the request record it carries first, under its own instance id, with a retry policy", () => {
    const first = firstWait(orchestrator, { ...input, record });
    expect(first.call).toMatchObject(RECORD_CALL);
    expect((first.call as { retry?: { maxNumberOfAttempts: number } }).retry?.maxNumberOfAttempts).toBeGreaterThan(1);
  });

  it("schedules nothing new when its input carries no record (sub-orchestrations, older instances)", () => {
    expect(firstWait(orchestrator, input).name).toBe(firstWithout);
  });
});

describe("lifecycleRequest whose record cannot be written", () => {
  it("fails audited with the storage error as its reason, and goes no further", () => {
    const flow = new OrchestrationDriver(lifecycleRequest, { ...lifecycle, record }, { instanceId: INSTANCE });
    expect(flow.call.functionName).toBe("recordOwnRequest");
    flow.fail(new Error("ServerBusy: the server is currently unable to receive requests"));
    expect(flow.call).toMatchObject({
      functionName: "auditLifecycle",
      input: { event: "request.failed", reason: "ServerBusy: the server is currently unable to receive requests" },
    });
    // No callback asked for: the instance fails with the reason (GET shows it; a repeat starts it again).
    expect(() => flow.answer(null)).toThrow("ServerBusy: the server is currently unable to receive requests");
  });

  it("goes on to its standing check once the record is written", () => {
    const flow = new OrchestrationDriver(lifecycleRequest, { ...lifecycle, record }, { instanceId: INSTANCE });
    flow.answer({ requestId: "x" });
    expect(flow.call.functionName).toBe("checkLifecycleStanding");
  });
});
