// The rootRotation orchestration, step by step: every step shown and audited in order, the gateways read until they
// trust the new root, users reissued a batch at a time, the old root retired once all have collected (or at the end of
// the grace period), and a cancellation undone as it must be: the new root withdrawn before the promotion, the old
// root restored after it, and no cancellation at all once the retirement has begun.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { rootRotation } from "../../../src/orchestrations/root-rotation";
import type { RotationInput } from "../../../src/domain/rotation-run";
import { OrchestrationDriver } from "./orchestration-driver";

const START = new Date("2026-12-06T10:00:00.000Z");
const GW1 = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw-1";
const GW2 = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw-2";
const OLD = { name: "p2s-root", thumbprint: "A".repeat(40) };
const NEW = { name: "p2s-root-g2", thumbprint: "B".repeat(40), notAfter: "2036-12-06T10:00:00.000Z" };

const input: RotationInput = {
  rotationId: "r".repeat(32),
  trigger: "manual",
  actor: "user:op@contoso.com oid=1",
  reason: "yearly",
  requestedAt: START.toISOString(),
  gatewayIds: [GW1, GW2],
  settings: {
    graceDays: 1,
    retireAtPercent: 95,
    batchSize: 2,
    pollSeconds: 10,
    collectionCheckMinutes: 60,
    gatewayDeadlineHours: 1,
  },
};

interface FakeTimer {
  readonly timer: Date;
  cancelled: boolean;
  cancel(): void;
}

/** A rotation on a clock the test moves: each timer the flow waits on moves the clock to its time. */
class Rotation {
  now = START;
  readonly timers: FakeTimer[] = [];
  readonly cancelEvent = { isCompleted: false, result: undefined as unknown };
  /** Every activity call answered, in order, with its input as the flow gave it. */
  readonly calls: { name: string; input: unknown }[] = [];
  readonly flow: OrchestrationDriver;

  constructor(rotationInput: RotationInput = input) {
    const clock = (): Date => this.now;
    this.flow = new OrchestrationDriver(rootRotation, rotationInput, {
      get currentUtcDateTime() {
        return clock();
      },
      instanceId: "root-rotation-p2s-root-1",
      waitForExternalEvent: (name: string) => {
        expect(name).toBe("cancelRotation");
        return this.cancelEvent;
      },
      createTimer: (at: Date) => {
        const timer: FakeTimer = {
          timer: at,
          cancelled: false,
          cancel() {
            this.cancelled = true;
          },
        };
        this.timers.push(timer);
        return timer;
      },
      callActivityWithRetry: (functionName: string, retryOptions: unknown, activityInput: unknown) => ({
        actionObj: { functionName, input: activityInput, retryOptions },
      }),
      Task: { any: (tasks: unknown[]) => ({ any: tasks }) },
    });
  }

  /** The flow waits on a timer (alone, or against the cancel event): it fires, the clock moves to it. */
  fireTimer(): this {
    const pending = this.flow.pending as { any?: unknown[]; timer?: Date };
    const timer = (pending.any?.find((t) => (t as { timer?: Date }).timer !== undefined) ?? pending) as FakeTimer;
    if (!(timer.timer instanceof Date)) throw new Error(`the flow waits on ${JSON.stringify(pending)}, not a timer`);
    if (timer.timer > this.now) this.now = timer.timer;
    this.flow.answer(null);
    return this;
  }

  /** Whether the flow's current wait can be ended by the cancel event. */
  get cancellableWait(): boolean {
    const pending = this.flow.pending as { any?: unknown[] };
    return pending.any?.includes(this.cancelEvent) === true;
  }

  /** The cancel event arrives; the flow sees it at its current wait. */
  cancel(reason = "changed our mind"): this {
    this.cancelEvent.isCompleted = true;
    this.cancelEvent.result = { actor: "user:op@contoso.com oid=1", reason };
    this.flow.answer(null);
    return this;
  }

  /** Expects the activity `name` (with input matching `like`) and answers it. */
  expect(name: string, like: object | undefined, result: unknown): this {
    const call = this.flow.call;
    expect(call.functionName).toBe(name);
    if (like !== undefined) expect(call.input).toMatchObject(like);
    expect(call.retry?.maxNumberOfAttempts).toBeGreaterThan(1);
    this.calls.push({ name, input: call.input });
    this.flow.answer(result);
    return this;
  }

  /** A step begins: a cancellation check (a zero timer against the event), then its audit. */
  step(name: string): this {
    if (this.cancellableWait) this.fireTimer();
    return this.expect("auditRotation", { action: "rotation.step", event: `step:${name}` }, "recorded");
  }

  steps(): string[] {
    return this.flow.customStatuses.map((s) => (s as { step: string }).step).filter((s, i, all) => all[i - 1] !== s);
  }

  /** Runs from the start to the end of the reissue step: users a and b, then c. */
  throughReissue(): this {
    this.throughPromotion();
    this.step("reissuing");
    this.expect(
      "listUsersToReissue",
      { rootThumbprint: NEW.thumbprint, limit: 2 },
      { upns: ["a@x.com", "b@x.com"], next: "b@x.com" },
    );
    this.expect(
      "startRotationRenewals",
      { upns: ["a@x.com", "b@x.com"], rotationId: input.rotationId },
      { instanceIds: ["i1", "i2"] },
    );
    this.expect("countUnissuedRenewals", { instanceIds: ["i1", "i2"] }, 1).fireTimer();
    this.expect("countUnissuedRenewals", { instanceIds: ["i1", "i2"] }, 0);
    this.expect("listUsersToReissue", { after: "b@x.com" }, { upns: ["c@x.com"] });
    this.expect("startRotationRenewals", { upns: ["c@x.com"] }, { instanceIds: ["i3"] });
    return this.expect("countUnissuedRenewals", { instanceIds: ["i3"] }, 0);
  }

  throughPromotion(): this {
    this.throughGateways();
    this.step("regenerating-profiles");
    this.expect("requestProfileRegeneration", { gatewayId: GW1 }, "disabled");
    this.expect("requestProfileRegeneration", { gatewayId: GW2 }, "disabled");
    this.step("switching-signing-root");
    return this.expect("promoteRoot", { rotationId: input.rotationId, name: NEW.name }, { name: NEW.name });
  }

  throughGateways(): this {
    this.throughCreation();
    this.step("adding-root-to-gateways");
    this.expect("wakeGatewayWriters", undefined, []);
    const both = { trusted: [NEW.thumbprint, OLD.thumbprint], absent: [] };
    this.expect("checkGatewayRoots", { gatewayId: GW1, ...both }, { ok: true, detail: "" });
    this.expect("checkGatewayRoots", { gatewayId: GW2, ...both }, { ok: false, detail: "root B is not on it yet" });
    // Only the gateway that was not there yet is read again, after the poll interval.
    this.fireTimer();
    expect(this.now.getTime() - START.getTime()).toBe(10_000);
    return this.expect("checkGatewayRoots", { gatewayId: GW2, ...both }, { ok: true, detail: "" });
  }

  throughCreation(): this {
    this.step("creating-root");
    this.expect("rotationOldRoot", { rotationId: input.rotationId }, OLD);
    return this.expect("createNextRoot", { rotationId: input.rotationId, actor: input.actor }, NEW);
  }

  /** Some users have not collected yet: the rotation reads how full the gateways' revocation lists would be. */
  pressure(count = 120): this {
    const percent = Math.round((count * 1000) / 300) / 10;
    return this.expect(
      "rotationRevocationPressure",
      { gatewayIds: [GW1, GW2] },
      { gatewayId: GW1, count, capacity: 300, percent },
    );
  }

  /** From the retirement to the end. */
  retireAndPrune(leftovers: readonly { name: string; thumbprint: string }[] = []): this {
    this.step("retiring-old-root");
    this.expect("rotationLeftoverRoots", { keep: NEW.name, old: OLD.name }, leftovers);
    this.expect("retireRoot", { rotationId: input.rotationId, name: OLD.name }, { superseded: 3 });
    for (const leftover of leftovers) {
      this.expect("retireRoot", { rotationId: input.rotationId, name: leftover.name }, { superseded: 1 });
    }
    this.step("pruning-revocations");
    this.expect("wakeGatewayWriters", undefined, []);
    const after = { trusted: [NEW.thumbprint], absent: [OLD.thumbprint, ...leftovers.map((l) => l.thumbprint)] };
    this.expect("checkGatewayRoots", { gatewayId: GW1, ...after }, { ok: true, detail: "" });
    this.expect("checkGatewayRoots", { gatewayId: GW2, ...after }, { ok: true, detail: "" });
    this.expect("requestProfileRegeneration", { gatewayId: GW1 }, "disabled");
    this.expect("requestProfileRegeneration", { gatewayId: GW2 }, "disabled");
    return this.expect("auditRotation", { action: "rotation.completed" }, "recorded");
  }
}

describe("rootRotation", () => {
  it("runs every step in order and retires the old root as soon as every reissued user has collected", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", { rotationId: input.rotationId }, { reissued: 3, collected: 2, open: 1 });
    r.pressure().fireTimer();
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 3, open: 0 });
    // Well before the grace period's end: an hour's check found them all collected.
    r.fireTimer(); // the last cancellation check before the retirement
    r.retireAndPrune();
    expect(r.flow.done).toBe(true);
    expect(r.steps()).toEqual([
      "creating-root",
      "adding-root-to-gateways",
      "regenerating-profiles",
      "switching-signing-root",
      "reissuing",
      "awaiting-collection",
      "retiring-old-root",
      "pruning-revocations",
      "done",
    ]);
    expect(r.flow.output).toEqual({
      status: "completed",
      oldRoot: OLD,
      newRoot: { name: NEW.name, thumbprint: NEW.thumbprint },
      oldRootName: OLD.name,
      oldRootThumbprint: OLD.thumbprint,
      newRootName: NEW.name,
      newRootThumbprint: NEW.thumbprint,
      reissued: 3,
      collected: 3,
    });
  });

  it("lists the users to reissue once the issuances running across the promotion have ended, and reissues a late one before the retirement", () => {
    // An issuance records itself "issuing" before it reads the signing root: one recorded before the promotion may
    // have read the old root, and a listing before it ends would miss its certificate.
    const r = new Rotation({ ...input, revision: 1 });
    // Revision 1 writes the start's acceptance audit first (the start path's own write may have failed).
    r.expect(
      "auditRotationAccepted",
      {
        rotationId: input.rotationId,
        actor: input.actor,
        reason: input.reason,
        trigger: "manual",
        requestedAt: START.toISOString(),
      },
      "recorded",
    );
    r.throughPromotion();
    r.step("reissuing");
    const issuing = [
      { userKey: "d@x.com", certificateName: "p2s-user-d" },
      { userKey: "e@x.com", certificateName: "p2s-user-e" },
    ];
    // Judged by the rotation's own clock, which it passes on.
    r.expect("listIssuingCertificates", { rotationId: input.rotationId, now: r.now.toISOString() }, issuing);
    r.expect("countUnfinishedIssuances", { certificates: issuing, now: r.now.toISOString() }, 2);
    // The status says why the users are not listed yet; the next read comes a poll interval later.
    expect(r.flow.customStatuses.at(-1)).toEqual({
      step: "reissuing",
      oldRoot: OLD.name,
      newRoot: NEW.name,
      reissued: 0,
      awaitingIssuances: 2,
    });
    const polled = r.now.getTime();
    r.fireTimer();
    expect(r.now.getTime() - polled).toBe(10_000);
    r.expect("countUnfinishedIssuances", { certificates: issuing, now: r.now.toISOString() }, 2).fireTimer();
    expect(r.calls.filter((c) => c.name === "listUsersToReissue")).toEqual([]);
    r.expect("countUnfinishedIssuances", { certificates: issuing }, 1).fireTimer();
    r.expect("countUnfinishedIssuances", { certificates: issuing }, 0);
    r.expect("listUsersToReissue", { rootThumbprint: NEW.thumbprint, limit: 2 }, { upns: ["a@x.com", "d@x.com"] });
    r.expect("startRotationRenewals", { upns: ["a@x.com", "d@x.com"] }, { instanceIds: ["i1", "i4"] });
    r.expect("countUnissuedRenewals", { instanceIds: ["i1", "i4"] }, 0);
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 2, collected: 2, open: 0 });
    // Before the retirement, one more pass: e's issuance, given up on, recorded its old-root certificate after all.
    r.expect("countUnfinishedIssuances", { certificates: issuing }, 0);
    r.expect("listUsersToReissue", { rootThumbprint: NEW.thumbprint, limit: 2 }, { upns: ["e@x.com"] });
    r.expect("startRotationRenewals", { upns: ["e@x.com"] }, { instanceIds: ["i5"] });
    r.expect("countUnissuedRenewals", { instanceIds: ["i5"] }, 1).fireTimer();
    expect(r.calls.filter((c) => c.name === "retireRoot")).toEqual([]);
    r.expect("countUnissuedRenewals", { instanceIds: ["i5"] }, 0);
    r.fireTimer(); // the last cancellation check before the retirement
    r.retireAndPrune();
    expect(r.flow.done).toBe(true);
    expect(r.flow.output).toMatchObject({ status: "completed", reissued: 3, collected: 2 });
  });

  it("a rotation started before revision 1 replays without its steps", () => {
    // Its input has no revision: the history it recorded has no acceptance audit and lists the users right after the
    // promotion.
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 3, open: 0 });
    r.fireTimer();
    r.retireAndPrune();
    expect(r.calls.map((c) => c.name)).not.toContain("listIssuingCertificates");
    expect(r.calls.map((c) => c.name)).not.toContain("countUnfinishedIssuances");
    expect(r.calls.map((c) => c.name)).not.toContain("auditRotationAccepted");
  });

  it("retires the old root at the end of the grace period when some users never collect", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    const graceEnds = r.now.getTime() + 24 * 3_600_000;
    for (let checks = 0; r.now.getTime() < graceEnds; checks++) {
      expect(checks).toBeLessThan(25);
      r.expect("countRotationCollection", undefined, { reissued: 3, collected: 1, open: 2 }).pressure().fireTimer();
    }
    expect(r.now.getTime()).toBe(graceEnds);
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 1, open: 2 }).pressure();
    r.fireTimer();
    r.retireAndPrune();
    expect(r.flow.customStatuses.at(-1)).toMatchObject({ step: "done", retireReason: "grace" });
    expect(r.flow.output).toMatchObject({ status: "completed", reissued: 3, collected: 1 });
  });

  it("retires the old root at once, before the grace period ends, when the revocation list would reach the mark", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    const entered = r.now.getTime();
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 1, open: 2 }).pressure(280).fireTimer();
    expect(r.flow.customStatuses.at(-1)).toMatchObject({ step: "awaiting-collection", revocationPercent: 93.3 });
    // 285 of 300 is 95 %: the wait ends an hour in, with users still to collect, and the retirement says why.
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 2, open: 1 }).pressure(285);
    expect(r.now.getTime() - entered).toBe(3_600_000);
    r.fireTimer();
    r.step("retiring-old-root");
    expect(r.flow.customStatuses.at(-1)).toMatchObject({
      step: "retiring-old-root",
      retireReason: "capacity",
      revocationPercent: 95,
    });
    r.expect("rotationLeftoverRoots", undefined, []);
    r.expect("retireRoot", { name: OLD.name }, { superseded: 3 });
    r.step("pruning-revocations");
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: true, detail: "" });
    r.expect("checkGatewayRoots", { gatewayId: GW2 }, { ok: true, detail: "" });
    r.expect("requestProfileRegeneration", { gatewayId: GW1 }, "disabled");
    r.expect("requestProfileRegeneration", { gatewayId: GW2 }, "disabled");
    r.expect(
      "auditRotation",
      { action: "rotation.completed", details: { retireReason: "capacity", revocationPercent: 95 } },
      "recorded",
    );
    expect(r.flow.output).toMatchObject({ status: "completed", reissued: 3, collected: 2 });
  });

  it("retires, with its old root, a root an earlier rotation left trusted when it was cancelled after its promotion", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 3, open: 0 });
    r.fireTimer();
    const leftover = { name: "p2s-root-g1b", thumbprint: "C".repeat(40) };
    r.retireAndPrune([leftover]);
    expect(r.flow.done).toBe(true);
  });

  it("cancelled before the promotion: withdraws the new root and wakes the writers to remove it", () => {
    const r = new Rotation().throughCreation();
    r.step("adding-root-to-gateways");
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: false, detail: "not yet" });
    r.expect("checkGatewayRoots", { gatewayId: GW2 }, { ok: false, detail: "not yet" });
    expect(r.cancellableWait).toBe(true);
    r.cancel("wrong day");
    r.expect("withdrawRoot", { rotationId: input.rotationId, name: NEW.name }, {});
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect(
      "auditRotation",
      { action: "rotation.cancelled", reason: "wrong day", details: { undo: "withdraw" } },
      "recorded",
    );
    expect(r.flow.output).toMatchObject({ status: "cancelled", reason: "wrong day", reissued: 0 });
    expect(r.steps().slice(-2)).toEqual(["cancelling", "cancelled"]);
    expect(r.timers.at(-1)?.cancelled).toBe(true);
  });

  it("cancelled after the promotion (while users collect): the old root signs again, nothing is retired", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 0, open: 3 }).pressure();
    r.cancel();
    r.expect("restoreRoot", { rotationId: input.rotationId, oldName: OLD.name, newName: NEW.name }, {});
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect("auditRotation", { action: "rotation.cancelled", details: { undo: "restore" } }, "recorded");
    expect(r.flow.output).toMatchObject({ status: "cancelled", reissued: 3 });
  });

  it("a cancel event that arrived during an activity ends the flow at the next step", () => {
    const r = new Rotation().throughGateways();
    // The event arrived while the gateways were read; the next step's check sees it.
    r.cancelEvent.isCompleted = true;
    r.cancelEvent.result = { actor: "user:op", reason: "stop" };
    r.fireTimer();
    r.expect("withdrawRoot", { name: NEW.name }, {});
  });

  it("takes no cancellation once the retirement has begun: its waits are plain timers", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 3, open: 0 });
    r.fireTimer();
    r.step("retiring-old-root");
    r.expect("rotationLeftoverRoots", undefined, []);
    r.expect("retireRoot", { name: OLD.name }, { superseded: 3 });
    r.step("pruning-revocations");
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: false, detail: "root A is still on it" });
    r.expect("checkGatewayRoots", { gatewayId: GW2 }, { ok: true, detail: "" });
    expect(r.cancellableWait).toBe(false);
    r.fireTimer();
    r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: true, detail: "" });
  });

  it("fails loudly when a gateway does not trust the new root by the deadline (a restart resumes)", () => {
    const r = new Rotation().throughCreation();
    r.step("adding-root-to-gateways");
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: true, detail: "" });
    for (let polls = 0; ; polls++) {
      expect(polls).toBeLessThan(400);
      if (polls > 0) r.fireTimer();
      r.expect("checkGatewayRoots", { gatewayId: GW2 }, { ok: false, detail: "the gateway is Failed" });
      if (r.now.getTime() - START.getTime() >= 3_600_000) break;
    }
    expect(r.flow.call).toMatchObject({ functionName: "raiseAlert", input: { severity: "critical", subject: "root" } });
    expect(() => r.flow.answer("sent")).toThrow(
      "adding the new root: not every gateway got there by the deadline (vgw-2: the gateway is Failed)",
    );
  });
});

describe("rootRotation: what each step tells the activities, the audit and the request's status", () => {
  const inputsOf = (r: Rotation, name: string): unknown[] => r.calls.filter((c) => c.name === name).map((c) => c.input);

  it("names the rotation and the roots in every reason, and audits each step with its details", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 3, open: 0 });
    r.fireTimer();
    r.retireAndPrune([{ name: "p2s-root-g1b", thumbprint: "C".repeat(40) }]);
    const rot = input.rotationId;
    expect(inputsOf(r, "wakeGatewayWriters")).toEqual([
      { reason: `rotation ${rot}: add root ${NEW.name}` },
      { reason: `rotation ${rot}: retire root ${OLD.name}` },
    ]);
    expect(inputsOf(r, "requestProfileRegeneration").map((i) => (i as { reason: string }).reason)).toEqual([
      `rotation ${rot}: root ${NEW.name} added`,
      `rotation ${rot}: root ${NEW.name} added`,
      `rotation ${rot}: root ${OLD.name} retired`,
      `rotation ${rot}: root ${OLD.name} retired`,
    ]);
    expect(inputsOf(r, "startRotationRenewals")[0]).toEqual({
      rotationId: rot,
      actor: input.actor,
      reason: `root rotation ${rot}: a certificate of the new root ${NEW.name}`,
      upns: ["a@x.com", "b@x.com"],
      now: new Date(START.getTime() + 10_000).toISOString(),
    });
    // The first page asks from the start: no `after` at all.
    expect(inputsOf(r, "listUsersToReissue")[0]).toStrictEqual({ rootThumbprint: NEW.thumbprint, limit: 2 });
    const audits = inputsOf(r, "auditRotation") as { event: string; details: Record<string, unknown> }[];
    const details = Object.fromEntries(audits.map((a) => [a.event, a.details]));
    const graceEnds = new Date(START.getTime() + 20_000 + 24 * 3_600_000).toISOString();
    expect(details).toEqual({
      "step:creating-root": { step: "creating-root" },
      "step:adding-root-to-gateways": { step: "adding-root-to-gateways" },
      "step:regenerating-profiles": { step: "regenerating-profiles" },
      "step:switching-signing-root": { step: "switching-signing-root" },
      "step:reissuing": { step: "reissuing", reissued: 0 },
      "step:awaiting-collection": { step: "awaiting-collection", retiresBy: graceEnds },
      "step:retiring-old-root": { step: "retiring-old-root", retireReason: "collected" },
      // 3 from the old root and 1 from the leftover one.
      "step:pruning-revocations": { step: "pruning-revocations", superseded: 4, retireReason: "collected" },
      completed: {
        oldRoot: OLD.name,
        newRoot: NEW.name,
        reissued: 3,
        retireReason: "collected",
      },
    });
    expect(audits.at(-1)).toMatchObject({ action: "rotation.completed", event: "completed", reason: "yearly" });
  });

  it("shows both roots and the running count of reissued users in the request's status", () => {
    const r = new Rotation().throughReissue();
    const statuses = r.flow.customStatuses as Record<string, unknown>[];
    expect(statuses[0]).toEqual({ step: "creating-root" });
    expect(statuses.find((s) => s.step === "adding-root-to-gateways")).toEqual({
      step: "adding-root-to-gateways",
      oldRoot: OLD.name,
      newRoot: NEW.name,
    });
    expect(statuses.filter((s) => s.step === "reissuing").map((s) => s.reissued)).toEqual([0, 2, 3]);
  });

  it("waits the poll interval between reads of a batch, and leaves a batch stuck past the deadline to finish", () => {
    const r = new Rotation().throughPromotion();
    r.step("reissuing");
    r.expect("listUsersToReissue", undefined, { upns: ["a@x.com"] });
    r.expect("startRotationRenewals", undefined, { instanceIds: ["i1"] });
    const batchAt = r.now.getTime();
    for (let polls = 0; ; polls++) {
      expect(polls).toBeLessThan(400);
      r.expect("countUnissuedRenewals", undefined, 1);
      if (r.now.getTime() - batchAt >= 3_600_000) break;
      r.fireTimer();
      expect(r.now.getTime() - batchAt).toBe((polls + 1) * 10_000);
    }
    // An hour exactly: the batch is left, the flow goes on (there is no next page).
    r.step("awaiting-collection");
  });

  it("starts no renewals for an empty page", () => {
    const r = new Rotation().throughPromotion();
    r.step("reissuing");
    r.expect("listUsersToReissue", undefined, { upns: [] });
    r.step("awaiting-collection");
    expect(inputsOf(r, "startRotationRenewals")).toEqual([]);
  });

  it("fails loudly, naming every gateway still holding the old root, when the removal misses the deadline", () => {
    const r = new Rotation().throughReissue();
    r.step("awaiting-collection");
    r.expect("countRotationCollection", undefined, { reissued: 3, collected: 3, open: 0 });
    r.fireTimer();
    r.step("retiring-old-root");
    r.expect("rotationLeftoverRoots", undefined, []);
    r.expect("retireRoot", undefined, { superseded: 3 });
    r.step("pruning-revocations");
    r.expect("wakeGatewayWriters", undefined, []);
    const from = r.now.getTime();
    for (let polls = 0; ; polls++) {
      expect(polls).toBeLessThan(400);
      if (polls > 0) r.fireTimer();
      r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: false, detail: "root A is still on it" });
      r.expect("checkGatewayRoots", { gatewayId: GW2 }, { ok: false, detail: "the gateway is Updating" });
      if (r.now.getTime() - from >= 3_600_000) break;
    }
    const message =
      "removing the old root: not every gateway got there by the deadline (vgw-1: root A is still on it; vgw-2: the gateway is Updating)";
    expect(r.flow.call).toMatchObject({
      functionName: "raiseAlert",
      input: {
        title: `Root rotation ${input.rotationId} failed`,
        detail: `${message}. POST /api/v1/roots/rotations starts it again; it resumes where it stopped`,
      },
    });
    expect(() => r.flow.answer("sent")).toThrow(message);
  });

  it("a cancel event that arrived during an activity ends the flow at once, without another wait", () => {
    const r = new Rotation().throughCreation();
    r.step("adding-root-to-gateways");
    r.expect("wakeGatewayWriters", undefined, []);
    r.expect("checkGatewayRoots", { gatewayId: GW1 }, { ok: true, detail: "" });
    r.cancelEvent.isCompleted = true;
    r.cancelEvent.result = { actor: "user:op", reason: "stop" };
    // The last read answers; the next step sees the event before it waits on anything.
    r.expect("checkGatewayRoots", { gatewayId: GW2 }, { ok: true, detail: "" });
    r.expect("withdrawRoot", { name: NEW.name, actor: "user:op" }, {});
    r.expect("wakeGatewayWriters", { reason: `rotation ${input.rotationId} cancelled` }, []);
    const audit = r.flow.call;
    expect(audit.input).toEqual({
      rotationId: input.rotationId,
      actor: "user:op",
      action: "rotation.cancelled",
      event: "cancelled",
      reason: "stop",
      details: { undo: "withdraw", newRoot: NEW.name },
    });
  });
});
