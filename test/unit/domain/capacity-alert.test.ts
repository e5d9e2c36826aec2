// The over-capacity alert on its own (the writer's tests compare its key with leftOffKey itself): the key's exact
// form, the text naming each left-off revocation soonest first (20 at most), and the rotation sentence per state.
import { createHash } from "node:crypto";
import { describeRotation, leftOffAlert, leftOffKey, NAMED_IN_ALERT } from "../../../src/domain/capacity-alert";
import type { CapacityRotation } from "../../../src/domain/capacity-alert";
import { MAX_REVOKED_CERTIFICATES } from "../../../src/domain/gateway-config";
import type { LeftOffRevocation } from "../../../src/domain/gateway-config";

const GATEWAY_ID = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworkGateways/GW-West";
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const day = (n: number): string => new Date(Date.UTC(2030, 0, n)).toISOString();
const entry = (n: number, notAfter?: string): LeftOffRevocation => ({
  thumbprint: tp(n),
  ...(notAfter === undefined ? {} : { notAfter }),
  wasOnGateway: false,
});
const NONE: CapacityRotation = { auto: false, state: "none" };

describe("leftOffKey", () => {
  it("is the lower-cased gateway id and 32 hex digits of SHA-256 over the sorted, upper-cased, distinct thumbprints", () => {
    const digest = createHash("sha256")
      .update(`${tp(10)},${tp(11)}`)
      .digest("hex")
      .slice(0, 32);
    const expected = `capacity-left-off:${GATEWAY_ID.toLowerCase()}:${digest}`;
    expect(leftOffKey(GATEWAY_ID, [entry(11), entry(10)])).toBe(expected);
    const lower = { ...entry(11), thumbprint: tp(11).toLowerCase() };
    expect(leftOffKey(GATEWAY_ID.toUpperCase(), [entry(10), lower, entry(11)])).toBe(expected);
    expect(leftOffKey(GATEWAY_ID, [entry(10)])).not.toBe(expected);
  });
});

describe("describeRotation", () => {
  it("says which rotation clears the entries, or how to start one, for each state", () => {
    expect(describeRotation({ auto: true, state: "started", requestId: "ROT-1" }, "these")).toBe(
      "root rotation ROT-1 was started by the capacity policy (ROOT_ROTATION_AUTO) and clears these when it retires the current root",
    );
    expect(describeRotation({ auto: true, state: "started" })).toBe(
      "root rotation ? was started by the capacity policy (ROOT_ROTATION_AUTO) and clears them when it retires the current root",
    );
    expect(describeRotation({ auto: false, state: "running", requestId: "ROT-2" })).toBe(
      "root rotation ROT-2 clears them when it retires the old root",
    );
    expect(describeRotation({ auto: false, state: "running", step: "reissuing" })).toBe(
      "root rotation ? (now at step reissuing) clears them when it retires the old root",
    );
    expect(describeRotation({ auto: true, state: "none" })).toBe(
      "no root rotation runs; the capacity policy will start one (ROOT_ROTATION_AUTO)",
    );
    expect(describeRotation(NONE)).toBe(
      "no root rotation runs: start one (POST /api/v1/roots/rotations, role Roots.Rotate) or set ROOT_ROTATION_AUTO=true so one starts by itself",
    );
    expect(describeRotation({ auto: false, state: "failed", detail: "table down" })).toBe(
      "whether a root rotation runs is not known (table down): check GET /api/v1/roots and start one (POST /api/v1/roots/rotations) if none runs",
    );
    expect(describeRotation({ auto: false, state: "failed" })).toContain("is not known (unknown error)");
  });
});

describe("leftOffAlert", () => {
  it("names each left-off revocation, soonest first and unknown expiry last, with its user where known", () => {
    const alert = leftOffAlert({
      gatewayId: GATEWAY_ID,
      gatewayName: "GW-West",
      leftOff: [entry(2, day(20)), entry(3), entry(1, day(10))],
      users: { [tp(1)]: "ada@contoso.com" },
      rotation: NONE,
    });
    expect(alert).toEqual({
      key: leftOffKey(GATEWAY_ID, [entry(1), entry(2), entry(3)]),
      severity: "critical",
      kind: "capacity",
      title: "Gateway GW-West: 3 revocations do not fit on the gateway",
      detail:
        `The gateway holds at most ${MAX_REVOKED_CERTIFICATES} revoked certificates. The writer keeps writing: it wrote ` +
        "the entries that stay valid longest and left off the 3 that expire soonest. Until they expire or their root " +
        `is retired, these certificates can still connect: ${tp(1)} (ada@contoso.com, expires ${day(10)}), ` +
        `${tp(2)} (user unknown to the ledger, expires ${day(20)}), ${tp(3)} (user unknown to the ledger, expires ` +
        "unknown). No root rotation runs: start one (POST /api/v1/roots/rotations, role Roots.Rotate) or set " +
        "ROOT_ROTATION_AUTO=true so one starts by itself.",
      subject: GATEWAY_ID,
      details: { leftOff: 3, soonest: day(10), latest: "", rotation: "none", rotationRequestId: "", auto: false },
    });
  });

  it("gives the latest expiry in its details, and empty ones when no expiry is known", () => {
    const running: CapacityRotation = { auto: true, state: "running", requestId: "ROT-3" };
    const input = { gatewayId: GATEWAY_ID, gatewayName: "GW", users: {}, rotation: running };
    expect(leftOffAlert({ ...input, leftOff: [entry(1, day(3)), entry(2, day(1)), entry(3, day(2))] }).details).toEqual(
      {
        leftOff: 3,
        soonest: day(1),
        latest: day(3),
        rotation: "running",
        rotationRequestId: "ROT-3",
        auto: true,
      },
    );
    expect(leftOffAlert({ ...input, leftOff: [entry(1)] }).details).toMatchObject({ soonest: "", latest: "" });
  });

  it(`names the ${NAMED_IN_ALERT} that expire soonest and counts the rest`, () => {
    const many = Array.from({ length: NAMED_IN_ALERT + 2 }, (_, i) => entry(i + 1, day(i + 1))).reverse();
    const input = { gatewayId: GATEWAY_ID, gatewayName: "GW", users: {}, rotation: NONE };
    const detail = leftOffAlert({ ...input, leftOff: many }).detail;
    expect(detail).toContain(
      `${tp(NAMED_IN_ALERT)} (user unknown to the ledger, expires ${day(NAMED_IN_ALERT)}), and 2 more. No root`,
    );
    expect(detail).not.toContain(tp(NAMED_IN_ALERT + 1));
    const exactly = leftOffAlert({ ...input, leftOff: many.slice(2) }).detail;
    expect(exactly).toContain(
      `${tp(NAMED_IN_ALERT)} (user unknown to the ledger, expires ${day(NAMED_IN_ALERT)}). No root`,
    );
    expect(exactly).not.toContain("more");
  });

  it("names revocations expiring at the same instant in the order the selection gives them (thumbprint order)", () => {
    // planSync hands the left-off entries over sorted by thumbprint: among equal expiries the alert keeps that order,
    // so the entries named at a tie are the lowest thumbprints, in order.
    const tied = Array.from({ length: NAMED_IN_ALERT + 5 }, (_, i) => entry(i + 1, day(3)));
    const input = { gatewayId: GATEWAY_ID, gatewayName: "GW", users: {}, rotation: NONE };
    const named = [...leftOffAlert({ ...input, leftOff: tied }).detail.matchAll(/([0-9A-F]{40}) \(/g)].map((m) => m[1]);
    expect(named).toEqual(tied.slice(0, NAMED_IN_ALERT).map((e) => e.thumbprint));
  });

  it("orders hundreds of left-off entries, ties and unknown expiries included, soonest first", () => {
    // Enough entries for the sort to merge runs (V8 sorts fewer than 33 by insertion), in a scrambled order.
    const many = Array.from({ length: 150 }, (_, i) =>
      entry(i + 1, i % 10 === 0 ? undefined : day(1 + ((i * 37) % 60))),
    );
    const expected = [...many]
      .map((e) => e.notAfter ?? "~")
      .sort()
      .slice(0, NAMED_IN_ALERT);
    const input = { gatewayId: GATEWAY_ID, gatewayName: "GW", users: {}, rotation: NONE };
    const named = [...leftOffAlert({ ...input, leftOff: many }).detail.matchAll(/expires ([^)]+)\)/g)].map((m) => m[1]);
    expect(named).toEqual(expected);
    expect(leftOffAlert({ ...input, leftOff: many }).details).toMatchObject({ soonest: expected[0], latest: "" });
  });
});
