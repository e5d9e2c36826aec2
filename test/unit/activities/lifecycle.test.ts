// The lifecycle request's activities through the fake invoker against the in-memory ledger: the standing check (an
// offboarded user's renewal refused, a rehire after the offboarding taken, a stale offboarding named), the revocation
// of a reissued user's older certificates (only live ones requested no later than the request, each audited once),
// and the audit row of a decision.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));

import "../../../src/activities/lifecycle";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
let ledger: FakeLedger;

const OFFBOARDED = new Date("2030-01-10T00:00:00.000Z");
const HIRED = new Date("2030-01-20T00:00:00.000Z");

beforeEach(() => {
  ledger = new FakeLedger();
  mockServices = { ledger, config: {} };
});

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

describe("checkLifecycleStanding", () => {
  const standing = (action: string, requestedAt: string): Promise<unknown> =>
    invoke("checkLifecycleStanding", { action, upn: "Ada@Contoso.com", requestedAt });

  it("lets anything go ahead for a user never offboarded nor rehired", async () => {
    for (const action of ["onboard", "reissue", "renew", "offboard"]) {
      expect(await standing(action, "2030-01-01T00:00:00.000Z")).toEqual({});
    }
  });

  it("refuses a renewal of an offboarded user, reads the standing by the lower-cased key, and marks it not stale", async () => {
    ledger.standing = {
      offboarding: { userKey: "ada@contoso.com", offboardedAt: OFFBOARDED, requestId: "R-9", reason: "left" },
    };
    const answer = await standing("renew", "2030-01-15T00:00:00.000Z");
    expect(answer).toEqual({
      refusal:
        'Ada@Contoso.com was offboarded at 2030-01-10T00:00:00.000Z (request R-9); a new certificate needs "rehire": true and the rehire\'s "effectiveAt"',
    });
  });

  it("takes an onboarding as a rehire judged on the request's acceptance time", async () => {
    ledger.standing = {
      offboarding: { userKey: "ada@contoso.com", offboardedAt: OFFBOARDED, requestId: "R-9", reason: "left" },
    };
    expect(await standing("onboard", "2030-01-10T00:00:00.001Z")).toEqual({});
    // At the offboarding's instant exactly: a tie is offboarded.
    expect(await standing("onboard", OFFBOARDED.toISOString())).toEqual({
      refusal: expect.stringContaining("not before the rehire's effectiveAt 2030-01-10T00:00:00.000Z") as unknown,
    });
  });

  it("calls an offboarding accepted before the latest rehire stale, and one after it not", async () => {
    ledger.standing = { hire: { userKey: "ada@contoso.com", hiredAt: HIRED, requestId: "H-1" } };
    const stale = await standing("offboard", "2030-01-19T23:59:59.999Z");
    expect(stale).toEqual({
      refusal: expect.stringContaining(
        "Ada@Contoso.com was rehired at 2030-01-20T00:00:00.000Z (request H-1)",
      ) as unknown,
      stale: true,
    });
    expect(await standing("offboard", HIRED.toISOString())).toEqual({});
  });
});

describe("revokeOlderCertificates", () => {
  const request = {
    requestId: "REQ-2",
    upn: "Ada@Contoso.com",
    requestedAt: "2030-02-01T00:00:00.000Z",
    actor: "user:op",
    source: "ticket",
    reason: "lost laptop",
  };
  const REASON = "reissued (REQ-2): lost laptop";

  function cert(name: string, status: CertificateStatus, extra: Partial<CertificateRecord> = {}): CertificateRecord {
    return {
      userKey: "ada@contoso.com",
      upn: "Ada@Contoso.com",
      certificateName: name,
      status,
      requestId: name,
      source: "api",
      sourceId: name,
      thumbprint: name.toUpperCase().padEnd(40, "0"),
      updatedAt: new Date("2030-01-01T00:00:00.000Z"),
      ...extra,
    };
  }

  it("revokes every live certificate but the new one requested no later than the request, audited each", async () => {
    const before = new Date("2030-01-31T00:00:00.000Z");
    await ledger.putCertificate(cert("a1", "active", { requestedAt: before }));
    await ledger.putCertificate(cert("a2", "issuing", { requestedAt: new Date(request.requestedAt) }));
    await ledger.putCertificate(cert("a3", "superseded"));
    await ledger.putCertificate(cert("new", "active", { requestedAt: new Date(request.requestedAt) }));
    await ledger.putCertificate(cert("later", "active", { requestedAt: new Date("2030-02-01T00:00:00.001Z") }));
    await ledger.putCertificate(cert("gone", "expired"));
    await ledger.putCertificate(cert("other", "revoked", { revocationReason: "offboarded" }));
    await ledger.putCertificate({ ...cert("b1", "active"), userKey: "bob@contoso.com" });
    ledger.puts.length = 0;

    const answer = await invoke("revokeOlderCertificates", { request, keep: "new" });
    expect(answer).toEqual({
      certificateNames: ["a1", "a2", "a3"],
      thumbprints: ["a1", "a2", "a3"].map((n) => n.toUpperCase().padEnd(40, "0")),
    });
    expect(ledger.puts.map((r) => [r.certificateName, r.status, r.revocationReason])).toEqual([
      ["a1", "revoked", REASON],
      ["a2", "revoked", REASON],
      ["a3", "revoked", REASON],
    ]);
    for (const put of ledger.puts) {
      expect(put.revokedAt).toBeInstanceOf(Date);
      expect(put.updatedAt).toBe(put.revokedAt);
    }
    expect(ledger.audit.map((a) => a.id)).toEqual(["REQ-2:revoked:a1", "REQ-2:revoked:a2", "REQ-2:revoked:a3"]);
    expect(ledger.audit[0]).toEqual({
      id: "REQ-2:revoked:a1",
      at: ledger.puts[0]?.revokedAt,
      actor: "user:op",
      action: "certificate.revoked",
      subject: "ada@contoso.com",
      reason: REASON,
      source: "ticket",
      requestId: "REQ-2",
      details: { certificateName: "a1", thumbprint: "A1".padEnd(40, "0"), replacedBy: "new" },
    });
  });

  it("on a repeat writes nothing again but answers and audits what its first run revoked", async () => {
    await ledger.putCertificate(cert("a1", "revoked", { revocationReason: REASON, thumbprint: undefined }));
    await ledger.putCertificate(cert("a2", "revoked", { revocationReason: "reissued (REQ-1): lost laptop" }));
    ledger.puts.length = 0;
    const answer = await invoke("revokeOlderCertificates", { request, keep: "new" });
    expect(answer).toEqual({ certificateNames: ["a1"], thumbprints: [] });
    expect(ledger.puts).toEqual([]);
    expect(ledger.audit).toHaveLength(1);
    expect(ledger.audit[0]?.details).toEqual({ certificateName: "a1", thumbprint: "", replacedBy: "new" });
  });

  it("names the request alone as the reason when it gives none", async () => {
    const { reason: _r, ...bare } = request;
    await ledger.putCertificate(cert("a1", "active"));
    await invoke("revokeOlderCertificates", { request: bare, keep: "new" });
    expect(ledger.puts.at(-1)?.revocationReason).toBe("reissued (REQ-2)");
    expect(ledger.audit[0]?.reason).toBe("reissued (REQ-2)");
  });
});

describe("auditLifecycle", () => {
  const request = {
    requestId: "REQ-3",
    upn: "Ada@Contoso.com",
    actor: "hr:workday",
    source: "hr",
    sourceKey: "evt-1",
    action: "offboard",
  };

  it("writes one row keyed by request and event, with the action, the source key and the details", async () => {
    expect(
      await invoke("auditLifecycle", {
        request: { ...request, ticketId: "T-1" },
        event: "request.completed",
        reason: "done",
        details: { revoked: 2 },
      }),
    ).toBeNull();
    expect(ledger.audit).toEqual([
      {
        id: "REQ-3:request.completed",
        at: expect.any(Date) as unknown,
        actor: "hr:workday",
        action: "request.completed",
        subject: "ada@contoso.com",
        reason: "done",
        source: "hr",
        requestId: "REQ-3",
        details: { action: "offboard", sourceKey: "evt-1", ticketId: "T-1", revoked: 2 },
      },
    ]);
  });

  it("leaves the ticket out when the request has none", async () => {
    await invoke("auditLifecycle", { request, event: "request.refused", reason: "no" });
    expect(ledger.audit[0]?.details).toEqual({ action: "offboard", sourceKey: "evt-1" });
  });
});
