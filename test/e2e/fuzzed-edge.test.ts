// Issue 16, the fuzzed edge: random and hostile input at every HTTP route and every trigger that takes outside input,
// through one sandbox over HTTP (the real host, the real SDKs against Azurite and the emulators). Two properties:
// never a 5xx or a function that throws, and a refused input (any 4xx, and any GET) starts and records nothing: no
// durable instance, no table row but its own refusal audit, no queue message (an HR message's own poison copy
// aside), nothing in Key Vault. Seeded: P2S_FUZZ_SEED=<n> replays a run, P2S_FUZZ_RUNS=<n> changes its size.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { SANDBOX_USER_UPN } from "../../dev/sandbox/sandbox-identity";
// The app is loaded here, before the sandbox starts it (the same module), so its routes are known to it.each.
import "../../src/index";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { EdgeObserver } from "../support/fuzz/edge-observer";
import type { EdgeChange, EdgeState } from "../support/fuzz/edge-observer";
import { checkEdge } from "../support/fuzz/edge-check";
import { send, sendEdgeRequest } from "../support/fuzz/edge-request";
import type { EdgeKit } from "../support/fuzz/edge-request";
import { EDGE_ROUTES } from "../support/fuzz/edge-routes";
import type { EdgeFixtures } from "../support/fuzz/edge-routes";
import { deliverTrigger, EDGE_TRIGGERS, eventCount } from "../support/fuzz/edge-triggers";
import { outsideInputTriggers, registeredRoutes } from "../support/fuzz/registered";

const SEED = Number(process.env.P2S_FUZZ_SEED ?? "20261206");
const RUNS = Number(process.env.P2S_FUZZ_RUNS ?? "6");
/** Timers never fire during the run: a reconcile or an expiry check would write what no input caused. */
const NEVER = "0 0 0 29 2 1";

let sandbox: TestSandbox;
let observer: EdgeObserver;
let kit: EdgeKit;
let fixtures: EdgeFixtures;
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "p2s-fuzz-"));

/** The device CSRs the self-service arbitrary sends: the sandbox user's, another user's on the same key, a small key's. */
async function deviceCsrs(): Promise<string[]> {
  const openssl = async (...args: string[]): Promise<string> => (await run("openssl", args)).stdout;
  const key = async (bits: number): Promise<string> => {
    const path = join(scratch, `k${String(bits)}.pem`);
    await openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${String(bits)}`, "-out", path);
    return path;
  };
  const [big, small] = await Promise.all([key(2048), key(1024)]);
  return Promise.all([
    openssl("req", "-new", "-key", big, "-subj", `/CN=${SANDBOX_USER_UPN}`),
    openssl("req", "-new", "-key", big, "-subj", "/CN=mallory@contoso.com"),
    openssl("req", "-new", "-key", small, "-subj", "/"),
  ]);
}

beforeAll(async () => {
  const csrs = deviceCsrs();
  sandbox = await startTestSandbox({
    settings: {
      GATEWAY_RECONCILE_SCHEDULE: NEVER,
      EXPIRY_CHECK_SCHEDULE: NEVER,
      ENTRA_SUBSCRIPTIONS_SCHEDULE: NEVER,
      ENTRA_RECONCILE_SCHEDULE: NEVER,
      PROFILE_REFRESH_SCHEDULE: NEVER,
    },
  });
  await sandbox.host.idle();
  observer = new EdgeObserver(sandbox);
  const e = sandbox.endpoints;
  kit = {
    host: e.host,
    functionKey: e.functionKey,
    eventGridKey: e.eventGridKey,
    adminToken: e.adminToken,
    readerToken: e.readerToken,
    userToken: e.userToken,
    ticketSecret: e.ticketSecret,
    entraClientState: e.entraClientState,
    identity: sandbox.identity.controls,
  };
  fixtures = {
    nowMs: Date.now(),
    csrs: await csrs,
  };
});

afterAll(async () => {
  // P2S_FUZZ_TIMING=1: where the run's time went (sandbox start, snapshots of the state, the inputs themselves).
  if (process.env.P2S_FUZZ_TIMING === "1") {
    process.stdout.write(`fuzz timing (ms) ${JSON.stringify({ ...timing, startup: sandbox.startupMs })}\n`);
    process.stdout.write(`fuzz answers ${JSON.stringify(Object.fromEntries([...answers].sort()), null, 1)}\n`);
  }
  await sandbox.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The state after the last input: the state before the next one, as nothing else runs in between. */
let last: EdgeState | undefined;
const timing = { snapshot: 0, input: 0, idle: 0 };
/** Answers by route and status: shows the inputs reach past the gates (P2S_FUZZ_TIMING=1 prints it). */
const answers = new Map<string, number>();

async function stateBefore(): Promise<EdgeState> {
  last ??= await snap();
  return last;
}

async function snap(previous?: EdgeState): Promise<EdgeState> {
  const t = performance.now();
  const state = await observer.snapshot(previous);
  timing.snapshot += performance.now() - t;
  return state;
}

async function settle(): Promise<void> {
  const t = performance.now();
  await sandbox.host.idle();
  timing.idle += performance.now() - t;
  last = undefined;
}

function failures(since: number): string[] {
  return sandbox.logs.slice(since).filter((line) => /\(Failed,|Host error|Unhandled/.test(line));
}

/** Undefined when the change is at most `audits` refusal audit rows (one per refused input). */
function unchanged(change: EdgeChange, audits = 1): string | undefined {
  const { instances, rows, queues, vault, refusals } = change;
  if (instances.length + rows.length + queues.length + vault.length === 0 && refusals.length <= audits)
    return undefined;
  return JSON.stringify({ instances, rows, queues, vault, refusals }, null, 1);
}

const settings = { seed: SEED, numRuns: RUNS } as const;

describe(`every HTTP route (seed ${SEED}, ${RUNS} runs each)`, () => {
  it.each(registeredRoutes())("%s: never a 5xx, nothing started when refused", async (key) => {
    const arbitrary = EDGE_ROUTES[key]?.(fixtures);
    if (arbitrary === undefined) throw new Error(`no arbitrary for ${key}`);
    await checkEdge(
      key,
      fc.asyncProperty(arbitrary, async (request) => {
        const before = await stateBefore();
        const mark = sandbox.logs.length;
        const t = performance.now();
        const answer = await sendEdgeRequest(request, kit);
        timing.input += performance.now() - t;
        const tally = `${key} ${answer.status}`;
        answers.set(tally, (answers.get(tally) ?? 0) + 1);
        const crashed = failures(mark);
        if (answer.status >= 500 || crashed.length > 0) {
          last = undefined;
          throw new Error(`${key} answered ${answer.status}: ${answer.text.slice(0, 300)}\n${crashed.join("\n")}`);
        }
        if (answer.status >= 400 || request.method === "GET") {
          last = await snap(before);
          const change = unchanged(EdgeObserver.change(before, last));
          if (change !== undefined) throw new Error(`${key} answered ${answer.status} and left: ${change}`);
        } else {
          // Accepted: let what it started finish, so the next input is judged alone.
          await settle();
        }
      }),
      settings,
    );
  });
});

describe("refusals found by the fuzz, as examples", () => {
  it("POST v1/entra/notifications: a batch of forged items is one 403 and one refusal audit row, not one per item", async () => {
    const before = await stateBefore();
    const value = Array.from({ length: 40 }, (_, i) => ({
      subscriptionId: `forged-${i}`,
      changeType: "updated",
      resource: `Users/${randomUUID()}`,
      clientState: "not-the-secret",
    }));
    const body = Buffer.from(JSON.stringify({ value }));
    const answer = await send(
      "POST",
      `${kit.host}/api/v1/entra/notifications`,
      [["content-type", "application/json"]],
      body,
    );
    expect(answer.status).toBe(403);
    last = await snap(before);
    const change = EdgeObserver.change(before, last);
    expect(change.refusals).toHaveLength(1);
    expect(unchanged(change)).toBeUndefined();
  });
});

describe("GET v1/alerts with a continuation token it never gave", () => {
  it.each(["-1", Buffer.from('{"nextPartitionKey":5}').toString("base64")])(
    "answers 400 for %s, not 500",
    async (token) => {
      const url = `${kit.host}/api/v1/alerts?continuationToken=${encodeURIComponent(token)}`;
      const headers: [string, string][] = [
        ["x-functions-key", kit.functionKey],
        ["authorization", `Bearer ${kit.adminToken}`],
      ];
      const answer = await send("GET", url, headers, undefined);
      expect(answer.status).toBe(400);
      expect(answer.text).toContain("continuationToken");
    },
  );
});

describe("an HR message that is not UTF-8", () => {
  it("is refused, audited once and poisoned, however much it grows once decoded", async () => {
    const before = await stateBefore();
    const mark = sandbox.logs.length;
    // 30 KiB of 0xff: fits a queue message (40 KiB of base64), decodes to 30 Ki U+FFFD (90 KiB of UTF-8).
    const input = {
      kind: "queue",
      fn: "hrEvents",
      bytes: new Uint8Array(30 * 1024).fill(0xff),
      dequeueCount: 1,
    } as const;
    const outcome = await deliverTrigger(input, sandbox, kit);
    expect(outcome).toEqual({ ok: true });
    expect(failures(mark)).toEqual([]);
    await settle();
    last = await snap(before);
    const change = EdgeObserver.change(before, last);
    expect(change.refusals).toHaveLength(1);
    const poison = `${sandbox.endpoints.hrEventsQueue}-poison`;
    const waiting = before.queues.get(poison) ?? 0;
    expect(change.queues).toEqual([`${poison}: ${String(waiting)} -> ${String(waiting + 1)}`]);
    expect(unchanged({ ...change, queues: [] })).toBeUndefined();
  });
});

describe(`every trigger with outside input (seed ${SEED}, ${RUNS} runs each)`, () => {
  it.each(outsideInputTriggers())("%s: never throws, nothing started when refused", async (name) => {
    const arbitrary = EDGE_TRIGGERS[name]?.(fixtures.nowMs);
    if (arbitrary === undefined) throw new Error(`no arbitrary for ${name}`);
    await checkEdge(
      name,
      fc.asyncProperty(arbitrary, async (input) => {
        const before = await stateBefore();
        const mark = sandbox.logs.length;
        const outcome = await deliverTrigger(input, sandbox, kit);
        const crashed = failures(mark);
        if (!outcome.ok || crashed.length > 0) {
          last = undefined;
          throw new Error(`${name} failed: ${outcome.ok ? "" : outcome.error}\n${crashed.join("\n")}`);
        }
        await settle();
        last = await snap(before);
        const change = EdgeObserver.change(before, last);
        // A refusal is its audit row (and an HR message's poison copy); anything started is an accepted input.
        const refused = change.refusals.length > 0;
        if (refused) {
          const left = unchanged(
            { ...change, queues: change.queues.filter((q) => !q.includes("-poison")) },
            eventCount(input),
          );
          if (left !== undefined) throw new Error(`${name} refused the input and left: ${left}`);
        }
      }),
      settings,
    );
  });
});
