// findRevokedSessions and disconnectRevokedSessions against a scripted gateway and the in-memory ledger: whose
// sessions are looked up and ended, who is left connected and why, what is audited, and when a mark is cleared.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));

import { InvocationContext } from "@azure/functions";
import "../../../src/activities/gateway-sessions";
import { GatewayError, parseGatewayId } from "../../../src/clients/gateway";
import type { GatewayFailureKind } from "../../../src/clients/gateway";
import type { CertificateRecord, CertificateStatus } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { GATEWAY_ID, gatewayServices } from "./gateway-fakes";
import type { GatewayServices } from "./gateway-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const REF = parseGatewayId(GATEWAY_ID);
const invoker = new FakeInvoker();
let fake: GatewayServices;
let warnings: string[];

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function certificate(user: string, name: string, status: CertificateStatus, notAfter?: number): CertificateRecord {
  return {
    userKey: user,
    upn: user,
    certificateName: name,
    status,
    requestId: `req-${name}`,
    source: "api",
    sourceId: "",
    ...(notAfter === undefined ? {} : { notAfter: new Date(notAfter) }),
    updatedAt: new Date(NOW),
  };
}

const gatewayError = (kind: GatewayFailureKind, retryAfterMs?: number) =>
  new GatewayError(kind, 409, undefined, `the gateway said ${kind}`, retryAfterMs);

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  fake = gatewayServices();
  mockServices = fake;
  warnings = [];
  jest.spyOn(InvocationContext.prototype, "warn").mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(" "));
  });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe("findRevokedSessions", () => {
  it("looks nothing up when no user is marked", async () => {
    await expect(invoke("findRevokedSessions", { gatewayId: GATEWAY_ID })).resolves.toEqual({ outcome: "none" });
    expect(fake.gateways.sessionLookups).toEqual([]);
  });

  it("finds the live sessions of marked users, matched by the CN the gateway reports, in any case", async () => {
    await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com", "bob@contoso.com"], new Date(NOW));
    await fake.ledger.putCertificate(certificate("ada@contoso.com", "a1", "revoked", NOW + 1000));
    fake.gateways.live = [
      { vpnConnectionId: "c1", vpnUserName: "Ada@Contoso.com" },
      { vpnConnectionId: "c2", vpnUserName: "carol@contoso.com" },
      { vpnConnectionId: "c3", vpnUserName: "bob@contoso.com", publicIpAddress: "1.2.3.4" },
    ];
    await expect(invoke("findRevokedSessions", { gatewayId: GATEWAY_ID })).resolves.toEqual({
      outcome: "found",
      marked: ["ada@contoso.com", "bob@contoso.com"],
      sessions: [
        { vpnConnectionId: "c1", user: "ada@contoso.com" },
        { vpnConnectionId: "c3", user: "bob@contoso.com" },
      ],
      kept: [],
    });
    expect(fake.gateways.sessionLookups).toEqual([REF]);
    expect(warnings).toEqual([]);
  });

  it("leaves connected a user who still holds a valid active certificate, and warns", async () => {
    await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com", "bob@contoso.com"], new Date(NOW));
    await fake.ledger.putCertificate(certificate("ada@contoso.com", "a-new", "active", NOW + 1));
    await fake.ledger.putCertificate(certificate("bob@contoso.com", "b-old", "active", NOW));
    fake.gateways.live = [
      { vpnConnectionId: "c1", vpnUserName: "ada@contoso.com" },
      { vpnConnectionId: "c2", vpnUserName: "bob@contoso.com" },
    ];
    await expect(invoke("findRevokedSessions", { gatewayId: GATEWAY_ID })).resolves.toEqual({
      outcome: "found",
      marked: ["ada@contoso.com", "bob@contoso.com"],
      sessions: [{ vpnConnectionId: "c2", user: "bob@contoso.com" }],
      kept: ["ada@contoso.com"],
    });
    expect(warnings).toEqual([
      "gateway GW-West: sessions of ada@contoso.com left connected: the user holds an active certificate",
    ]);
  });

  it("counts an active certificate without an expiry as valid, and does not look up when everyone is kept", async () => {
    await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com"], new Date(NOW));
    await fake.ledger.putCertificate(certificate("ada@contoso.com", "a-issuing", "issuing", NOW + 1000));
    await fake.ledger.putCertificate(certificate("ada@contoso.com", "a-new", "active"));
    await expect(invoke("findRevokedSessions", { gatewayId: GATEWAY_ID })).resolves.toEqual({
      outcome: "found",
      marked: ["ada@contoso.com"],
      sessions: [],
      kept: ["ada@contoso.com"],
    });
    expect(fake.gateways.sessionLookups).toEqual([]);
  });

  it.each<GatewayFailureKind>(["busy", "throttled"])("hands back a %s lookup to be waited out", async (kind) => {
    await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com"], new Date(NOW));
    fake.gateways.live = gatewayError(kind, 7_000);
    await expect(invoke("findRevokedSessions", { gatewayId: GATEWAY_ID })).resolves.toEqual({
      outcome: kind,
      retryAfterMs: 7_000,
      detail: `the gateway said ${kind}`,
    });
  });

  it("throws any other failure of the lookup", async () => {
    await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com"], new Date(NOW));
    fake.gateways.live = gatewayError("other");
    await expect(invoke("findRevokedSessions", { gatewayId: GATEWAY_ID })).rejects.toThrow("the gateway said other");
  });
});

describe("disconnectRevokedSessions", () => {
  const sessions = [
    { vpnConnectionId: "c1", user: "ada@contoso.com" },
    { vpnConnectionId: "c3", user: "bob@contoso.com" },
  ];
  const input = { gatewayId: GATEWAY_ID, marked: ["ada@contoso.com", "bob@contoso.com"], sessions, passId: "gen-1:2" };

  it("ends the sessions, audits each once per pass, and clears the marks", async () => {
    await fake.ledger.markSessionsToEnd(
      GATEWAY_ID,
      ["ada@contoso.com", "bob@contoso.com", "eve@contoso.com"],
      new Date(0),
    );
    await expect(invoke("disconnectRevokedSessions", input)).resolves.toEqual({ outcome: "disconnected", count: 2 });
    expect(fake.gateways.disconnects).toEqual([{ ref: REF, ids: ["c1", "c3"] }]);
    expect(fake.ledger.audit).toEqual(
      sessions.map((s) => ({
        id: `gen-1:2:disconnect:${s.vpnConnectionId}`,
        at: new Date(NOW),
        actor: "gatewayWriter",
        action: "session.disconnected",
        subject: s.user,
        reason: "certificate revoked",
        source: "gateway-sync",
        details: { gateway: "GW-West", vpnConnectionId: s.vpnConnectionId },
      })),
    );
    await expect(fake.ledger.listSessionsToEnd(GATEWAY_ID)).resolves.toEqual(["eve@contoso.com"]);
  });

  it.each<GatewayFailureKind>(["busy", "throttled"])(
    "keeps the marks and audits nothing when the gateway refuses (%s)",
    async (kind) => {
      await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com"], new Date(0));
      fake.gateways.disconnectError = gatewayError(kind, 2_000);
      await expect(invoke("disconnectRevokedSessions", input)).resolves.toEqual({
        outcome: kind,
        retryAfterMs: 2_000,
        detail: `the gateway said ${kind}`,
      });
      expect(fake.ledger.audit).toEqual([]);
      await expect(fake.ledger.listSessionsToEnd(GATEWAY_ID)).resolves.toEqual(["ada@contoso.com"]);
    },
  );

  it("throws any other refusal, with the marks kept", async () => {
    await fake.ledger.markSessionsToEnd(GATEWAY_ID, ["ada@contoso.com"], new Date(0));
    fake.gateways.disconnectError = gatewayError("invalid");
    await expect(invoke("disconnectRevokedSessions", input)).rejects.toThrow("the gateway said invalid");
    await expect(fake.ledger.listSessionsToEnd(GATEWAY_ID)).resolves.toEqual(["ada@contoso.com"]);
  });
});
