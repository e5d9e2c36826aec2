// Driving issuance on the whole sandbox (the app on the embedded host, the emulators, Azurite) with a virtual clock,
// so the durable retry timers of issueClientCertificate fire when the test moves time rather than after real waits.
import { TableClient, TableServiceClient } from "@azure/data-tables";
import type { ManualClock } from "../../../dev/host/clock";
import { managementLinks } from "../../../dev/durable/client-binding";
import { EventType } from "../../../dev/durable/protocol";
import type { HistoryEvent } from "../../../dev/durable/protocol";
import type { InstanceStatus, TestSandbox } from "../../support/sandbox";

export interface ApiResult {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** Calls the app and keeps every response body, for the no-leak check. */
export class RecordingApi {
  readonly responses: string[] = [];

  constructor(private readonly sandbox: TestSandbox) {}

  async call(method: string, path: string, body?: unknown): Promise<ApiResult> {
    const result = await this.sandbox.api(method, path, body);
    this.responses.push(result.text);
    return result;
  }

  /** GET on an absolute URL (the durable webhook's links carry their own key). */
  async follow(url: string): Promise<ApiResult> {
    const response = await fetch(url);
    const text = await response.text();
    this.responses.push(text);
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown), text };
  }

  /** POST /api/v1/users/{upn}/certificates; returns the request's public id and its durable instance id. */
  async requestCertificate(upn: string, requestId: string): Promise<{ id: string; requestId: string }> {
    const result = await this.call("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, { requestId });
    if (result.status !== 202) throw new Error(`issuance request answered ${result.status}: ${result.text}`);
    return {
      id: await this.sandbox.instanceOf(result.body),
      requestId: (result.body as { requestId: string }).requestId,
    };
  }
}

/**
 * The durable webhook's management links for an instance, with the system key: what an operator with the key uses.
 * The app never hands these out.
 */
export function durableLinks(sandbox: TestSandbox, instanceId: string): Record<string, string> {
  const hub = sandbox.settings.P2S_TASK_HUB ?? "p2ssandbox";
  return managementLinks(sandbox.endpoints.host, hub, instanceId, sandbox.host.keys.durableTaskKey);
}

const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

/**
 * Waits for an instance to finish, moving the virtual clock a second at a time while it is not, so durable retry
 * timers (5 s first interval) fire without real waiting.
 */
export async function settle(sandbox: TestSandbox, clock: ManualClock, instanceId: string): Promise<InstanceStatus> {
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

/** Activity names in the order the instance scheduled them, with how each attempt ended. */
export function activityAttempts(
  history: readonly HistoryEvent[],
): { name: string; outcome: "completed" | "failed" | "running" }[] {
  const byId = new Map<number, { name: string; outcome: "completed" | "failed" | "running" }>();
  const attempts: { name: string; outcome: "completed" | "failed" | "running" }[] = [];
  for (const event of history) {
    const fields = event as unknown as Record<string, unknown>;
    if (event.EventType === EventType.TaskScheduled) {
      const attempt = { name: String(fields.Name), outcome: "running" as const };
      const entry = { ...attempt };
      byId.set(event.EventId, entry);
      attempts.push(entry);
    } else if (event.EventType === EventType.TaskCompleted || event.EventType === EventType.TaskFailed) {
      const entry = byId.get(Number(fields.TaskScheduledId));
      if (entry !== undefined) entry.outcome = event.EventType === EventType.TaskCompleted ? "completed" : "failed";
    }
  }
  return attempts;
}

/** Every entity of every table in the sandbox's storage account, as raw JSON text. */
export async function dumpTables(connectionString: string): Promise<string> {
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  const parts: string[] = [];
  for await (const table of service.listTables()) {
    const name = table.name ?? "";
    const client = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
    for await (const entity of client.listEntities()) parts.push(`${name}: ${JSON.stringify(entity)}`);
  }
  return parts.join("\n");
}
