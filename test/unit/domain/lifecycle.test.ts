// The lifecycle request's pure parts on their own: the instance id a submission lands on (the same submission again
// lands on the same instance), and the requests handed to the issuance and offboarding orchestrations.
import { createHash } from "node:crypto";
import {
  issuanceRequestOf,
  lifecycleInstanceId,
  lifecycleUserKey,
  revocationRequestOf,
  revokesOlder,
} from "../../../src/domain/lifecycle";
import type { LifecycleInput } from "../../../src/domain/lifecycle";

const submission = { source: "ticket", sourceKey: "T-1", action: "onboard", upn: "Ada@Contoso.com" } as const;

const input: LifecycleInput = {
  requestId: "REQ-1",
  source: "hr",
  sourceKey: "E-7",
  action: "offboard",
  upn: "Ada@Contoso.com",
  actor: "hr:queue",
  requestedAt: "2030-01-01T00:00:00.000Z",
  certificateNamePrefix: "p2s-user",
  writers: [
    { gatewayId: "gw-1", busyBackoffMs: 1, coalesceMs: 0, busyAlertMs: 1 },
    { gatewayId: "gw-2", busyBackoffMs: 1, coalesceMs: 0, busyAlertMs: 1 },
  ],
};

describe("lifecycleInstanceId", () => {
  it("is lifecycle- and 40 hex digits of SHA-256 over source, key, action and the lower-cased UPN, one per line", () => {
    const digest = createHash("sha256").update("ticket\nT-1\nonboard\nada@contoso.com").digest("hex").slice(0, 40);
    expect(lifecycleInstanceId(submission)).toBe(`lifecycle-${digest}`);
    expect(lifecycleInstanceId({ ...submission, upn: "ADA@contoso.COM" })).toBe(`lifecycle-${digest}`);
    expect(lifecycleInstanceId({ ...submission, action: "reissue" })).not.toBe(`lifecycle-${digest}`);
  });
});

describe("the requests a lifecycle request hands on", () => {
  it("onboards as a rehire effective at the acceptance time; other actions issue plainly", () => {
    const common = {
      upn: "Ada@Contoso.com",
      requestId: "REQ-1",
      source: "hr",
      sourceId: "E-7",
      actor: "hr:queue",
      certificateNamePrefix: "p2s-user",
      requestedAt: "2030-01-01T00:00:00.000Z",
    };
    expect(issuanceRequestOf({ ...input, action: "onboard" })).toEqual({
      ...common,
      rehire: true,
      effectiveAt: "2030-01-01T00:00:00.000Z",
    });
    for (const action of ["reissue", "renew", "offboard"] as const) {
      expect(issuanceRequestOf({ ...input, action })).toEqual(common);
    }
  });

  it("offboards on every writer's gateway, with the source and its key as the default reason", () => {
    expect(revocationRequestOf(input)).toEqual({
      upn: "Ada@Contoso.com",
      requestId: "REQ-1",
      reason: "hr E-7",
      source: "hr",
      sourceId: "E-7",
      actor: "hr:queue",
      effectiveAt: "2030-01-01T00:00:00.000Z",
      gatewayIds: ["gw-1", "gw-2"],
    });
    expect(revocationRequestOf({ ...input, reason: "left the company" }).reason).toBe("left the company");
  });

  it("revokes the older certificates on a reissue only, and keys the user by the lower-cased UPN", () => {
    expect(revokesOlder("reissue")).toBe(true);
    for (const action of ["onboard", "renew", "offboard"] as const) expect(revokesOlder(action)).toBe(false);
    expect(lifecycleUserKey({ upn: "Ada@Contoso.com" })).toBe("ada@contoso.com");
  });
});
