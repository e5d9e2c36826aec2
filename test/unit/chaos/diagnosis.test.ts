// What a failing chaos run prints about the users its violations name: their instances with a line per history event,
// the gateway writer found through the thumbprint, and the log lines about them; nothing about the other users.
import { diagnose, namedInViolations } from "../../../bench/chaos/diagnosis";
import type { InstanceSnapshot } from "../../../dev/durable/backend";
import { EventType } from "../../../dev/durable/protocol";

const THUMB = "21C7C1D8DA28AB0EC4D6B849F073F1F26FBCD3E2";
const CERT = `p2s-user-${"f4".repeat(16)}`;
const failing = [
  {
    name: "no lost revocation",
    checked: 2,
    violations: [`chaos-7-000@contoso.com: ${CERT} (${THUMB}) not revoked on gw`],
  },
  { name: "no duplicate", checked: 14, violations: ["chaos-7-000@contoso.com is offboarded but it is active"] },
  { name: "no request stuck", checked: 3, violations: [] },
];

function instance(id: string, name: string, input: unknown, history: InstanceSnapshot["history"]): InstanceSnapshot {
  return {
    instanceId: id,
    name,
    runtimeStatus: "Completed",
    input,
    output: null,
    customStatus: { step: "done" },
    createdAtMs: Date.UTC(2026, 11, 7, 0, 45, 24),
    lastUpdatedAtMs: Date.UTC(2026, 11, 7, 0, 45, 30),
    history,
  };
}

const event = (
  type: number,
  eventId: number,
  fields: Record<string, unknown>,
): InstanceSnapshot["history"][number] => ({
  EventType: type,
  EventId: eventId,
  IsPlayed: false,
  Timestamp: "2026-12-07T00:45:24.088Z",
  ...fields,
});

const instances = [
  instance("lifecycle-1", "lifecycleRequest", { upn: "chaos-7-000@contoso.com", action: "onboard" }, [
    event(EventType.ExecutionStarted, -1, { Name: "lifecycleRequest", Input: '{"upn":"chaos-7-000@contoso.com"}' }),
    event(EventType.OrchestratorStarted, -1, {}),
    event(EventType.TaskScheduled, 0, { Name: "recordIssued", Input: "x".repeat(400) }),
    event(EventType.TaskFailed, -1, { Reason: "Injected after-effect failure", Details: "" }),
  ]),
  instance("gateway-writer-gw", "gatewayWriter", { gatewayId: "gw" }, [
    event(EventType.TaskCompleted, -1, { Result: `["${THUMB}"]` }),
  ]),
  instance("lifecycle-2", "lifecycleRequest", { upn: "chaos-7-001@contoso.com" }, []),
];
const durable = {
  instanceIds: () => instances.map((i) => i.instanceId),
  inspect: (id: string) => instances.find((i) => i.instanceId === id),
};

it("names the users, certificates and thumbprints of the violations, once each", () => {
  expect(namedInViolations(failing)).toEqual([THUMB, "chaos-7-000@contoso.com", CERT]);
});

it("tells each named user's story: their instances, the writer that saw their thumbprint, their log lines", () => {
  const text = diagnose(durable, failing, [
    "[hrEvents] termination for chaos-7-000@contoso.com: applied",
    "[hrEvents] hire for chaos-7-001@contoso.com: applied",
  ]);
  const lines = text.split("\n");
  expect(lines[0]).toBe(`chaos-7-000@contoso.com ${THUMB} ${CERT}:`);
  expect(lines).toContain(
    '  lifecycleRequest lifecycle-1 Completed created 2026-12-07T00:45:24.000Z status {"step":"done"}',
  );
  expect(lines).toContain(`    2026-12-07T00:45:24.088Z -1 TaskCompleted ["${THUMB}"]`);
  // Long inputs are cut; the episode markers are left out.
  expect(lines).toContain(`    2026-12-07T00:45:24.088Z 0 TaskScheduled recordIssued ${"x".repeat(180)}…`);
  expect(text).not.toContain("OrchestratorStarted");
  expect(lines).toContain("    2026-12-07T00:45:24.088Z -1 TaskFailed Injected after-effect failure ");
  expect(lines).toContain("  log lines naming the user: 1");
  expect(text).not.toContain("chaos-7-001");
});
