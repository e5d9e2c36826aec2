// Requests as resources: the public id, and how a durable instance's status becomes the request's view.
import {
  PREPARING_DELIVERY_STEP,
  PUBLIC_REQUEST_ID,
  publicRequestId,
  requestView,
  shortReason,
  stepOf,
  withDeliveryStep,
} from "../../../src/domain/requests";
import type { InstanceSnapshot, RequestRecord } from "../../../src/domain/requests";

const createdAt = new Date("2030-01-01T10:00:00.000Z");
const updated = new Date("2030-01-01T10:00:07.000Z");
const issue: RequestRecord = {
  requestId: publicRequestId("issue-p2s-user-ada"),
  instanceId: "issue-p2s-user-ada",
  kind: "issue",
  upn: "ada@contoso.com",
  submittedBy: "api:function-key",
  createdAt,
};
const offboard: RequestRecord = { ...issue, kind: "offboard", instanceId: "offboard-1" };
const snapshot = (runtimeStatus: string, output: unknown = null, customStatus: unknown = null): InstanceSnapshot => ({
  runtimeStatus,
  output,
  customStatus,
  lastUpdatedTime: updated,
});
const issued = {
  upn: "ada@contoso.com",
  status: "active",
  certificateName: "p2s-user-ada",
  thumbprint: "AB".repeat(20),
  serialNumber: "0badc0de",
  notBefore: "2030-01-01T09:55:00.000Z",
  notAfter: "2030-06-30T09:55:00.000Z",
};

describe("publicRequestId", () => {
  it("is 32 lower-case hex characters, the same for the same instance, different for another", () => {
    const id = publicRequestId("issue-p2s-user-ada");
    expect(id).toMatch(PUBLIC_REQUEST_ID);
    expect(publicRequestId("issue-p2s-user-ada")).toBe(id);
    expect(publicRequestId("issue-p2s-user-bob")).not.toBe(id);
    // Opaque: nothing of the instance id (which names the user) shows through.
    expect(id).not.toContain("ada");
  });
});

describe("requestView status mapping", () => {
  it.each([
    ["Pending", "pending"],
    ["Running", "running"],
    ["ContinuedAsNew", "running"],
    ["Suspended", "running"],
    ["Completed", "succeeded"],
    ["Failed", "failed"],
    ["Terminated", "failed"],
    ["Canceled", "failed"],
  ])("maps the durable %s to %s", (runtime, status) => {
    expect(requestView(issue, snapshot(runtime, runtime === "Completed" ? issued : "boom")).status).toBe(status);
  });

  it("answers the public fields of a completed issuance, the step, and the record's kind, user and times", () => {
    const view = requestView(issue, snapshot("Completed", { ...issued, pfx: "MIIK", passphrase: "x" }, "done"));
    expect(view).toEqual({
      requestId: issue.requestId,
      kind: "issue",
      upn: "ada@contoso.com",
      status: "succeeded",
      step: "done",
      createdAt: "2030-01-01T10:00:00.000Z",
      updatedAt: "2030-01-01T10:00:07.000Z",
      result: {
        certificateName: "p2s-user-ada",
        thumbprint: "AB".repeat(20),
        serialNumber: "0badc0de",
        notBefore: "2030-01-01T09:55:00.000Z",
        notAfter: "2030-06-30T09:55:00.000Z",
      },
    });
  });

  it("answers an offboarding's revoked thumbprints and gateway count", () => {
    const output = { upn: "ada@contoso.com", revokedThumbprints: ["AA", "BB"], gateways: 2 };
    expect(requestView(offboard, snapshot("Completed", output)).result).toEqual({
      revokedThumbprints: ["AA", "BB"],
      gateways: 2,
    });
  });

  it("names the step of a running instance and carries neither result nor error", () => {
    const view = requestView(issue, snapshot("Running", null, "signing"));
    expect(view).toMatchObject({ status: "running", step: "signing" });
    expect(view).not.toHaveProperty("result");
    expect(view).not.toHaveProperty("error");
    expect(requestView(issue, snapshot("Running", null, { step: "merging" })).step).toBe("merging");
    expect(requestView(issue, snapshot("Pending")).step).toBeNull();
  });

  it("gives a failed instance's reason: the first line, without the framework's prefix", () => {
    const output =
      "Orchestrator function 'issueClientCertificate' failed: beginCertificate: CaStateError: soft-deleted\n    at x (y.js:1:1)";
    const view = requestView(issue, snapshot("Failed", output, "creating-key"));
    expect(view).toMatchObject({
      status: "failed",
      step: "creating-key",
      error: "beginCertificate: CaStateError: soft-deleted",
    });
    expect(view).not.toHaveProperty("result");
  });

  it("says a terminated instance was terminated, with its reason", () => {
    expect(requestView(issue, snapshot("Terminated", "operator")).error).toBe("terminated: operator");
  });

  it("fails a completed instance whose output says it was refused, with the reason", () => {
    const refused = { refused: true, reason: "ada@contoso.com is not a member of the VPN group" };
    expect(requestView(issue, snapshot("Completed", refused))).toMatchObject({
      status: "failed",
      error: "ada@contoso.com is not a member of the VPN group",
    });
    expect(requestView(issue, snapshot("Completed", { status: "refused", reason: "disabled" })).error).toBe("disabled");
  });

  it("reads a refusal's reason, else its error, as text only; a bare refusal or failure still says so", () => {
    const view = (output: unknown) => requestView(issue, snapshot("Completed", output));
    expect(view({ refused: true, reason: 42, error: "quota reached" }).error).toBe("quota reached");
    expect(view({ status: "failed", error: "quota reached" })).toMatchObject({
      status: "failed",
      error: "quota reached",
    });
    expect(view({ status: "refused", error: 7 }).error).toBe("refused");
    expect(view({ status: "refused" }).error).toBe("refused");
    expect(view({ status: "failed" })).toMatchObject({ status: "failed", error: "refused" });
  });

  it("takes a revoked status as a failure of an issuance only", () => {
    const output = { status: "revoked", revokedThumbprints: ["AA"], gateways: 1 };
    expect(requestView(offboard, snapshot("Completed", output))).toMatchObject({ status: "succeeded" });
    expect(requestView(offboard, snapshot("Completed", output))).not.toHaveProperty("error");
  });

  it("answers a completed instance with no output and no custom status (as a client may omit them)", () => {
    const bare: InstanceSnapshot = { runtimeStatus: "Completed", output: undefined, customStatus: undefined };
    const view = requestView(issue, bare);
    expect(view).toMatchObject({ status: "succeeded", step: null, updatedAt: "2030-01-01T10:00:00.000Z" });
    expect(view).not.toHaveProperty("result");
    expect(view).not.toHaveProperty("error");
  });

  it("takes a runtime status it does not know for running", () => {
    expect(requestView(issue, snapshot("SomethingNew")).status).toBe("running");
  });

  it("fails an issuance whose certificate was revoked as it was made, still naming the certificate", () => {
    const view = requestView(issue, snapshot("Completed", { ...issued, status: "revoked" }));
    expect(view.status).toBe("failed");
    expect(view.error).toContain("offboarded while the certificate was being made");
    expect(view.result).toMatchObject({ thumbprint: "AB".repeat(20) });
  });

  it("fails a request whose durable status is gone, rather than leaving it pending forever", () => {
    expect(requestView(issue, undefined)).toMatchObject({
      status: "failed",
      step: null,
      updatedAt: "2030-01-01T10:00:00.000Z",
      error: "the request's status is no longer held",
    });
  });
});

describe("reasons and steps", () => {
  it("bounds a long reason and names an empty one", () => {
    expect(shortReason("x".repeat(1000))).toHaveLength(300);
    expect(shortReason(null)).toBe("the request failed");
  });

  it("reads a step from a string or { step } and nothing else", () => {
    expect(stepOf("signing")).toBe("signing");
    expect(stepOf({ step: "signing" })).toBe("signing");
    expect(stepOf({ step: 3 })).toBeNull();
    expect(stepOf({ step: "" })).toBeNull();
    expect(stepOf("")).toBeNull();
    expect(stepOf(null)).toBeNull();
    expect(stepOf(42)).toBeNull();
    expect(stepOf(undefined)).toBeNull();
  });

  it("keeps a reason of exactly the bound whole, and cuts one character over it with an ellipsis", () => {
    expect(shortReason("y".repeat(300))).toBe("y".repeat(300));
    expect(shortReason("y".repeat(301))).toBe(`${"y".repeat(299)}…`);
  });

  it("reads a reason from a string, an object or nothing; the first line, trimmed, the prefix only at the start", () => {
    expect(shortReason(undefined)).toBe("the request failed");
    expect(shortReason("\nsecond line")).toBe("the request failed");
    expect(shortReason({ code: "X" })).toBe('{"code":"X"}');
    expect(shortReason("  Key Vault refused  \n    at stack (file.js:1)")).toBe("Key Vault refused");
    expect(shortReason("Orchestrator function 'issueClientCertificate' failed: vault down")).toBe("vault down");
    expect(shortReason("note: Orchestrator function 'x' failed: kept")).toBe(
      "note: Orchestrator function 'x' failed: kept",
    );
  });
});

describe("public result fields", () => {
  it("keeps strings, numbers, booleans and lists of strings; drops objects, mixed lists and anything unnamed", () => {
    const output = {
      revokedThumbprints: ["AA", "BB"],
      gateways: 2,
      secret: "never",
    };
    expect(requestView(offboard, snapshot("Completed", output)).result).toEqual({
      revokedThumbprints: ["AA", "BB"],
      gateways: 2,
    });
    const odd = { revokedThumbprints: ["AA", 3], gateways: { count: 2 } };
    // Nothing public left: the view carries no result at all.
    expect(requestView(offboard, snapshot("Completed", odd)).result).toBeUndefined();
    const flags = { ...issued, thumbprint: true, serialNumber: undefined };
    expect(requestView(issue, snapshot("Completed", flags)).result).toEqual({
      certificateName: "p2s-user-ada",
      thumbprint: true,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
  });

  it("answers no result for an output that is not an object, and succeeds", () => {
    const view = requestView(issue, snapshot("Completed", "done"));
    expect(view.status).toBe("succeeded");
    expect(view.result).toBeUndefined();
    expect(requestView(issue, snapshot("Completed", null)).result).toBeUndefined();
  });
});

describe("a request's step while its certificate is delivered", () => {
  const onboard: RequestRecord = { ...issue, kind: "onboard", instanceId: "lifecycle-1" };
  const planned = { step: "awaiting-collection", linkExpiresAt: "2030-01-04T10:00:00.000Z" };
  const waiting = snapshot("Running", null, planned);
  const stepWith = (delivery: InstanceSnapshot | undefined): string | null =>
    requestView(onboard, withDeliveryStep(waiting, delivery)).step;

  it("says awaiting-collection only once the delivery itself waits for collection (the credential is ready)", () => {
    expect(stepWith(undefined)).toBe(PREPARING_DELIVERY_STEP);
    expect(stepWith(snapshot("Pending"))).toBe(PREPARING_DELIVERY_STEP);
    expect(stepWith(snapshot("Running", null, { step: "preparing", linkExpiresAt: planned.linkExpiresAt }))).toBe(
      PREPARING_DELIVERY_STEP,
    );
    expect(stepWith(snapshot("Running", null, { step: "awaiting-collection" }))).toBe("awaiting-collection");
    expect(stepWith(snapshot("Running", null, { step: "awaiting-download" }))).toBe("awaiting-collection");
  });

  it("keeps every other step, and the rest of the custom status, as they are", () => {
    const issuing = snapshot("Running", null, { step: "issuing" });
    expect(withDeliveryStep(issuing, undefined)).toBe(issuing);
    expect(withDeliveryStep(waiting, undefined).customStatus).toEqual({ ...planned, step: PREPARING_DELIVERY_STEP });
  });
});
