// Terminal failures of the CA activities: the errors no retry can fix come back as a typed outcome (so durable
// retries do not run them five times) and fail the orchestration at once with their reason; others still throw.
import type { RegisteredActivityTask, Task } from "durable-functions";
import { TerminalIssuanceError, isTerminalError, outcomeOf, runCa } from "../../../src/activities/ca-outcome";
import type { CaOutcome } from "../../../src/activities/ca-outcome";
import type { TypedActivity } from "../../../src/activities/define";
import { CaStateError } from "../../../src/clients/key-vault-ca";
import { CertificateRequestRejectedError } from "../../../src/domain/client-certificate";
import { InvalidUpnError, assertUpn } from "../../../src/domain/upn";

describe("outcomeOf", () => {
  it.each([
    ["an invalid UPN", () => assertUpn("a,O=x@contoso.com"), "InvalidUpnError"],
    [
      "a refused CSR",
      () => {
        throw new CertificateRequestRejectedError("CSR signature does not verify");
      },
      "CertificateRequestRejectedError",
    ],
    [
      "a soft-deleted name",
      () => {
        throw new CaStateError("certificate x is soft-deleted", { terminal: true });
      },
      "CaStateError",
    ],
  ])("returns %s as a terminal outcome with its reason", async (_what, fail, error) => {
    const outcome = await outcomeOf(() => Promise.resolve().then(fail));
    expect(outcome).toMatchObject({ terminal: true, error });
    expect(outcome.terminal && outcome.message.length).toBeGreaterThan(0);
  });

  it.each([
    ["a transient CA state", new CaStateError("certificate x is missing after its merge")],
    ["a service error", Object.assign(new Error("Service Unavailable"), { statusCode: 503 })],
  ])("throws %s, for the durable retry", async (_what, error) => {
    expect(isTerminalError(error)).toBe(false);
    await expect(outcomeOf(() => Promise.reject(error))).rejects.toBe(error);
  });

  it("wraps a value", async () => {
    await expect(outcomeOf(() => Promise.resolve(42))).resolves.toEqual({ terminal: false, value: 42 });
  });

  it("keeps InvalidUpnError terminal", () => {
    expect(isTerminalError(new InvalidUpnError("x"))).toBe(true);
  });
});

describe("runCa", () => {
  const task = { withRetry: () => task } as unknown as RegisteredActivityTask;
  const activity: TypedActivity<string, CaOutcome<number>> = { name: "beginCertificate", task: () => task };

  function drive(outcome: CaOutcome<number> | number | object | null | undefined): unknown {
    const flow = runCa(activity, "input");
    const first = flow.next();
    expect(first.done).toBe(false);
    expect(first.value as Task).toBe(task);
    const last = flow.next(outcome);
    if (!last.done) throw new Error("runCa yielded twice");
    return last.value;
  }

  it("returns the value of a successful activity", () => {
    expect(drive({ terminal: false, value: 7 })).toBe(7);
  });

  it("takes a result recorded before the activities returned outcomes as the value (in flight across a deploy)", () => {
    expect(drive(5)).toBe(5);
    expect(drive(null)).toBeNull();
    // An activity that returned nothing, and one that returned an object of its own (ensureRoot's root).
    expect(drive(undefined)).toBeUndefined();
    expect(drive({ name: "p2s-root", thumbprint: "AB" })).toEqual({ name: "p2s-root", thumbprint: "AB" });
  });

  it("fails at once with the activity, the error and its reason", () => {
    expect(() => drive({ terminal: true, error: "CaStateError", message: "x is soft-deleted" })).toThrow(
      new TerminalIssuanceError("beginCertificate: CaStateError: x is soft-deleted"),
    );
  });

  it("fails under its own error name, which the instance's failure details show", () => {
    let thrown: unknown;
    try {
      drive({ terminal: true, error: "InvalidUpnError", message: "not a UPN" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TerminalIssuanceError);
    expect((thrown as Error).name).toBe("TerminalIssuanceError");
    expect(String(thrown)).toBe("TerminalIssuanceError: beginCertificate: InvalidUpnError: not a UPN");
  });
});
