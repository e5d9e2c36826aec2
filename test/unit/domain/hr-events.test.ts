// HR event rules: the message checked at the edge, staleness by occurredAt, and what each event does.
import {
  hrAction,
  hrRequestId,
  hrTerminationInstanceId,
  parseHrEvent,
  staleHrEvent,
} from "../../../src/domain/hr-events";
import type { HrEvent } from "../../../src/domain/hr-events";
import { assertUpn } from "../../../src/domain/upn";

const DOMAINS = ["contoso.com"];
const valid = {
  eventId: "WD-1001",
  type: "termination",
  upn: "Ada.Lovelace@contoso.com",
  effectiveAt: "2030-01-02T09:00:00+01:00",
  occurredAt: "2030-01-01T12:00:00Z",
};

describe("parseHrEvent", () => {
  it("accepts a valid event, normalising times to UTC ISO and keeping the UPN as sent", () => {
    expect(parseHrEvent({ ...valid, extra: "ignored" }, DOMAINS)).toEqual({
      ok: true,
      event: {
        eventId: "WD-1001",
        type: "termination",
        upn: "Ada.Lovelace@contoso.com",
        effectiveAt: "2030-01-02T08:00:00.000Z",
        occurredAt: "2030-01-01T12:00:00.000Z",
      },
    });
    const { effectiveAt: _none, ...hire } = { ...valid, type: "hire" };
    expect(parseHrEvent(hire, DOMAINS)).toMatchObject({ ok: true, event: { type: "hire" } });
  });

  it.each([
    ["text that is not JSON", "not json", /not a JSON object/],
    ["JSON null", null, /not a JSON object/],
    ["an array", [valid], /not a JSON object/],
    ["an unknown type", { ...valid, type: "promotion" }, /type: must be one of hire, termination/],
    ["a missing occurredAt", { ...valid, occurredAt: undefined }, /occurredAt/],
    ["a missing eventId", { ...valid, eventId: undefined }, /eventId/],
    ["a date without a zone", { ...valid, effectiveAt: "2030-01-02T09:00:00" }, /effectiveAt: must be an ISO/],
    ["a bad UPN", { ...valid, upn: "ada lovelace@contoso.com" }, /upn: .*whitespace/],
    ["a UPN of another domain", { ...valid, upn: "ada@fabrikam.com" }, /upn: .*fabrikam.com is not one/],
    ["an event id with a slash", { ...valid, eventId: "a/b" }, /eventId/],
  ])("refuses %s with the reason", (_what, message, reason) => {
    const parsed = parseHrEvent(message, DOMAINS);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it("names every bad field of a refused message, separated for the audit", () => {
    expect(parseHrEvent({ ...valid, eventId: "a/b", type: "promotion" }, DOMAINS)).toMatchObject({
      ok: false,
      reason:
        "eventId: must be 1-60 letters, digits, '.', '_', ':' or '-', starting with a letter or digit; " +
        "type: must be one of hire, termination, termination-rescinded, rehire",
    });
  });

  it("keeps what could be read of a refused message for the audit", () => {
    expect(parseHrEvent({ ...valid, type: "promotion" }, DOMAINS)).toMatchObject({
      ok: false,
      eventId: "WD-1001",
      upn: "Ada.Lovelace@contoso.com",
    });
  });
});

const event = (over: Partial<HrEvent> = {}): HrEvent => ({
  eventId: "E2",
  type: "hire",
  upn: assertUpn("ada@contoso.com"),
  occurredAt: "2030-01-01T12:00:00.000Z",
  ...over,
});

describe("staleHrEvent", () => {
  const last = { eventId: "E1", type: "termination" as const, occurredAt: "2030-01-01T12:00:00.000Z" };

  it("applies the first event, a later one, and a retry of the applied one", () => {
    expect(staleHrEvent(event(), undefined)).toBeUndefined();
    expect(staleHrEvent(event({ occurredAt: "2030-01-01T12:00:00.001Z" }), last)).toBeUndefined();
    expect(staleHrEvent(event({ eventId: "E1", occurredAt: "2029-01-01T00:00:00.000Z" }), last)).toBeUndefined();
  });

  it("ignores an event that occurred earlier than, or at the same time as, the one applied", () => {
    expect(staleHrEvent(event({ occurredAt: "2030-01-01T11:59:59.999Z" }), last)).toMatch(/ignored: hire E2/);
    expect(staleHrEvent(event(), last)).toMatch(/not after termination E1/);
  });
});

describe("hrAction", () => {
  const now = Date.parse("2030-01-01T12:00:00.000Z");

  it("onboards on a hire or rehire, from its effective date or else when it occurred", () => {
    expect(hrAction(event(), now)).toEqual({ kind: "onboard", effectiveAt: "2030-01-01T12:00:00.000Z" });
    expect(hrAction(event({ type: "rehire", effectiveAt: "2030-02-01T00:00:00.000Z" }), now)).toEqual({
      kind: "onboard",
      effectiveAt: "2030-02-01T00:00:00.000Z",
    });
  });

  it("offboards at once a termination in effect, later one dated in the future", () => {
    const termination = (effectiveAt?: string): HrEvent =>
      event({ type: "termination", ...(effectiveAt === undefined ? {} : { effectiveAt }) });
    expect(hrAction(termination(), now)).toEqual({ kind: "offboard", effectiveAt: "2030-01-01T12:00:00.000Z" });
    expect(hrAction(termination("2030-01-01T12:00:00.000Z"), now).kind).toBe("offboard");
    expect(hrAction(termination("2030-01-01T12:00:00.001Z"), now)).toEqual({
      kind: "offboard-later",
      effectiveAt: "2030-01-01T12:00:00.001Z",
    });
  });

  it("rescinds on termination-rescinded", () => {
    expect(hrAction(event({ type: "termination-rescinded" }), now)).toEqual({ kind: "rescind" });
  });
});

it("gives every HR event its own request id: hr- and the event id", () => {
  expect(hrRequestId("WD-1001")).toBe("hr-WD-1001");
  expect(hrRequestId("WD-1002")).not.toBe(hrRequestId("WD-1001"));
});

it("gives one termination instance per user, whatever the UPN's case", () => {
  expect(hrTerminationInstanceId(assertUpn("Ada@Contoso.com"))).toBe(
    hrTerminationInstanceId(assertUpn("ada@contoso.com")),
  );
  expect(hrTerminationInstanceId(assertUpn("ada@contoso.com"))).not.toBe(
    hrTerminationInstanceId(assertUpn("bob@contoso.com")),
  );
  expect(hrTerminationInstanceId(assertUpn("ada@contoso.com"))).toMatch(/^hr-termination-[0-9a-f]{32}$/);
});
