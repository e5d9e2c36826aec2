// The whole sandbox inside a jest test: Azurite, the emulators, the real app on the embedded host, driven over HTTP.
// Test files that use it must mock the worker's core module first (jest hoists this above the imports):
//   jest.mock("@azure/functions-core", () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi, { virtual: true });
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox } from "../../dev/sandbox/sandbox";
import type { Sandbox, SandboxOptions } from "../../dev/sandbox/sandbox";
import type { LocalDurableBackend } from "../../dev/durable";
import { parseAtLeastOnce } from "../../dev/durable/redelivery";
import type { AtLeastOnceOptions } from "../../dev/durable/redelivery";
import { idle } from "./wait";
import { registerSecret } from "./answer-recorder";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";

/**
 * The durable backend's at-least-once delivery is on in every test sandbox, so the orchestration tests (issuance,
 * offboarding, gateway writer) prove the activities and event handling idempotent rather than assume it. Another
 * seed or chance: P2S_TEST_AT_LEAST_ONCE=seed:probability; "off" turns it off (to tell a delivery bug from another).
 */
export function testAtLeastOnce(): AtLeastOnceOptions | undefined {
  const setting = process.env.P2S_TEST_AT_LEAST_ONCE;
  if (setting?.trim().toLowerCase() === "off") return undefined;
  return parseAtLeastOnce(setting) ?? { seed: 20261206, probability: 0.3 };
}

export interface TestSandbox extends Sandbox {
  /** Every log line the host wrote. */
  readonly logs: string[];
  /** Milliseconds startSandbox took. */
  readonly startupMs: number;
  readonly durable: LocalDurableBackend;
  /** Calls the app with the function key and a token: the admin token (every role) unless another, or null for none. */
  api(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: unknown; text: string; headers: Headers }>;
  /** Waits for an orchestration to reach a terminal state and returns its status document. */
  waitForInstance(instanceId: string, timeoutMs?: number): Promise<InstanceStatus>;
  /** The durable instance behind a 202/200 answer's `requestId` (from the ledger: the app never answers it). */
  instanceOf(answerBody: unknown): Promise<string>;
}

export interface InstanceStatus {
  readonly runtimeStatus: string;
  readonly output: unknown;
  readonly customStatus: unknown;
}

const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

/**
 * Starts the sandbox on a free port with test-sized keys and fast gateway operations. It uses the run's Azurite (from
 * the global setup) with tables of its own; pass `storageConnectionString: undefined` for an Azurite of its own.
 * At-least-once delivery is on (see testAtLeastOnce); a test that needs exactly-once passes `atLeastOnce: undefined`.
 */
export interface TestSandboxOptions extends Partial<SandboxOptions> {
  /**
   * The VPN group gate (ENTRA_VPN_GROUP_ID), on in `npm start`'s sandbox. Off by default here: tests of other features
   * issue to users the directory does not have. Tests of the gate, and of the sandbox as users get it, turn it on.
   */
  readonly vpnGroupGate?: boolean;
  /**
   * VPN profile regeneration (PROFILES_ENABLED), on in `npm start`'s sandbox. Off by default here: a regeneration
   * occupies the gateway and reads it, which tests of the writer do not expect. The profile tests turn it on.
   */
  readonly profiles?: boolean;
}

export async function startTestSandbox(testOptions: TestSandboxOptions = {}): Promise<TestSandbox> {
  const { vpnGroupGate, profiles, ...options } = testOptions;
  const dir = mkdtempSync(join(tmpdir(), "p2s-sandbox-"));
  const logs: string[] = [];
  const started = performance.now();
  const sandbox = await startSandbox({
    port: 0,
    dir,
    appEntry: () => import("../../src/index"),
    rootKeySize: 2048,
    gatewayOperationMs: 50,
    // No Retry-After on gateway polls (Azure sends 10 s), so writes end in milliseconds; tests of the pace set one.
    gatewayRetryAfterSeconds: null,
    storageConnectionString: process.env.P2S_TEST_AZURITE,
    atLeastOnce: testAtLeastOnce(),
    log: (line) => {
      logs.push(line);
    },
    ...options,
    // Writers apply at once (no coalescing window) unless a test sets one.
    settings: {
      GATEWAY_POLL_INTERVAL_MS: "10",
      GATEWAY_BUSY_BACKOFF_MS: "50",
      GATEWAY_COALESCE_MS: "0",
      ...(vpnGroupGate === true ? {} : { ENTRA_VPN_GROUP_ID: "" }),
      ...(profiles === true ? {} : { PROFILES_ENABLED: "false" }),
      ...options.settings,
    },
  });
  const startupMs = performance.now() - started;
  // No API answer may carry these (test/support/answer-recorder.ts).
  registerSecret(sandbox.host.keys.durableTaskKey);
  registerSecret(sandbox.host.keys.masterKey);
  const durable = sandbox.host.durable as LocalDurableBackend | undefined;
  if (durable === undefined) throw new Error("the sandbox host has no durable backend");

  const api: TestSandbox["api"] = async (method, path, body, token = sandbox.endpoints.adminToken) => {
    const response = await fetch(`${sandbox.endpoints.host}${path}`, {
      method,
      headers: {
        "x-functions-key": sandbox.endpoints.functionKey,
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === "" ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };

  const waitForInstance: TestSandbox["waitForInstance"] = async (instanceId, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snapshot = durable.inspect(instanceId);
      if (snapshot !== undefined && TERMINAL.has(snapshot.runtimeStatus)) {
        return { runtimeStatus: snapshot.runtimeStatus, output: snapshot.output, customStatus: snapshot.customStatus };
      }
      if (Date.now() > deadline) {
        throw new Error(`instance ${instanceId} is ${snapshot?.runtimeStatus ?? "unknown"} after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const instanceOf: TestSandbox["instanceOf"] = async (answerBody) => {
    const requestId = (answerBody as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId !== "string") throw new Error(`no requestId in the answer: ${JSON.stringify(answerBody)}`);
    const record = await Ledger.fromConfig(getConfig()).getRequest(requestId);
    if (record === undefined) throw new Error(`request ${requestId} is not in the ledger`);
    return record.instanceId;
  };

  return {
    ...sandbox,
    // Every wait in a test has a deadline: the host's idle() is bounded, and names what it waited for.
    host: { ...sandbox.host, idle: () => idle(sandbox.host, "the sandbox host", 90_000) },
    logs,
    startupMs,
    durable,
    api,
    waitForInstance,
    instanceOf,
    stop: async () => {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
