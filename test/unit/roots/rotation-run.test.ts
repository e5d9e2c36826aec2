// The rotation's pure decisions: when a cancellation is still taken, what it undoes, when the schedule is due, and
// the outcome the request view reads by field name.
import {
  cancellationUndo,
  mayCancel,
  rotationAcceptedAudit,
  rotationDue,
  rotationInstanceId,
  rotationResult,
} from "../../../src/domain/rotation-run";
import { ROTATION_STEPS } from "../../../src/domain/root-rotation";
import { requestView } from "../../../src/domain/requests";

describe("rotation run", () => {
  it("takes a cancellation until the old root's retirement begins, none from then on", () => {
    const taken = ROTATION_STEPS.filter((s) => mayCancel(s));
    expect(taken).toEqual([
      "creating-root",
      "adding-root-to-gateways",
      "regenerating-profiles",
      "switching-signing-root",
      "reissuing",
      "awaiting-collection",
    ]);
    expect(mayCancel(null)).toBe(true);
    expect(mayCancel("cancelling")).toBe(false);
    expect(cancellationUndo(false)).toBe("withdraw");
    expect(cancellationUndo(true)).toBe("restore");
  });

  it("is due ROOT_ROTATION_BEFORE_EXPIRY_DAYS before the root expires; 0 never", () => {
    const now = new Date("2026-12-06T00:00:00.000Z");
    expect(rotationDue("2027-03-06T00:00:00.000Z", now, 90)).toBe(true);
    expect(rotationDue("2027-03-06T00:00:01.000Z", now, 90)).toBe(false);
    expect(rotationDue("2026-12-01T00:00:00.000Z", now, 90)).toBe(true);
    expect(rotationDue("2026-12-07T00:00:00.000Z", now, 0)).toBe(false);
    expect(rotationDue("not a date", now, 90)).toBe(false);
  });

  it("never schedules a rotation with 0 (or fewer) days, not even for a root that has expired", () => {
    const now = new Date("2026-12-06T00:00:00.000Z");
    expect(rotationDue("2026-12-01T00:00:00.000Z", now, 0)).toBe(false);
    expect(rotationDue("2026-12-06T00:00:00.000Z", now, 0)).toBe(false);
    expect(rotationDue("2026-12-01T00:00:00.000Z", now, -1)).toBe(false);
  });

  it("names each attempt away from a root", () => {
    expect(rotationInstanceId("p2s-root-ca", 2)).toBe("root-rotation-p2s-root-ca-2");
  });

  it("shows a finished rotation's roots and counts in the request view; a cancelled one succeeded as cancelled", () => {
    const record = {
      requestId: "a".repeat(32),
      instanceId: "root-rotation-p2s-root-ca-1",
      kind: "rotation" as const,
      upn: "",
      submittedBy: "user:op",
      createdAt: new Date("2026-12-06T00:00:00.000Z"),
    };
    const output = rotationResult({
      status: "cancelled",
      oldRoot: { name: "p2s-root-ca", thumbprint: "A".repeat(40) },
      newRoot: { name: "p2s-root-ca-g2", thumbprint: "B".repeat(40) },
      reissued: 2,
      collected: 1,
      reason: "wrong day",
    });
    const view = requestView(record, { runtimeStatus: "Completed", customStatus: { step: "cancelled" }, output });
    expect(view).toMatchObject({
      status: "succeeded",
      step: "cancelled",
      result: {
        status: "cancelled",
        reissued: 2,
        collected: 1,
        oldRootName: "p2s-root-ca",
        oldRootThumbprint: "A".repeat(40),
        newRootName: "p2s-root-ca-g2",
        newRootThumbprint: "B".repeat(40),
        reason: "wrong day",
      },
    });
    expect(view.result).not.toHaveProperty("oldRoot");
  });
});

describe("rotationAcceptedAudit", () => {
  it("is one entry per start, keyed and timed by the start, crediting its actor and trigger", () => {
    const input = {
      rotationId: "a".repeat(32),
      actor: "user:op@contoso.com oid=1",
      reason: "yearly",
      trigger: "manual",
      requestedAt: "2026-12-07T01:02:03.000Z",
    } as const;
    expect(rotationAcceptedAudit(input)).toEqual({
      id: `${"a".repeat(32)}:accepted:2026-12-07T01:02:03.000Z`,
      at: new Date("2026-12-07T01:02:03.000Z"),
      actor: "user:op@contoso.com oid=1",
      action: "rotation.accepted",
      subject: "root",
      reason: "yearly",
      source: "manual",
      requestId: "a".repeat(32),
      details: { trigger: "manual" },
    });
  });
});
