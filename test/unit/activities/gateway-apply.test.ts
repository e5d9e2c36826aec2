// applyGatewayState and awaitGatewayWrite against a scripted gateway and the in-memory ledger: when a pass writes,
// what the one PUT carries, what is marked, claimed, audited and journaled before and after it, and how every gateway
// failure maps to an outcome the writer decides on.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));

import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { InvocationContext } from "@azure/functions";
import { RestError } from "@azure/core-rest-pipeline";
import { WRITE_POLL_LIMITS } from "../../../src/activities/gateway-apply";
import { auditAcceptedWrite } from "../../../src/activities/gateway-write-audit";
import type { Ledger } from "../../../src/clients/ledger";
import { GatewayError, parseGatewayId } from "../../../src/clients/gateway";
import type { GatewayFailureKind } from "../../../src/clients/gateway";
import { MAX_REVOKED_CERTIFICATES, revokedEntryName } from "../../../src/domain/gateway-config";
import type { DesiredState, P2sCertificateState } from "../../../src/domain/gateway-config";
import { writeKey } from "../../../src/domain/gateway-write-journal";
import type { JournaledWrite } from "../../../src/domain/gateway-write-journal";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { GATEWAY_ID, gatewayServices, snapshot } from "./gateway-fakes";
import type { GatewayServices } from "./gateway-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const DAY = 86_400_000;
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const ROOT = { name: "p2s-root", publicCertData: "TUlJQg==" };
const revokedEntry = (n: number) => ({ name: revokedEntryName(tp(n)), thumbprint: tp(n) });
const REF = parseGatewayId(GATEWAY_ID);
const ticket = { at: NOW, seq: 3 };

const invoker = new FakeInvoker();
let fake: GatewayServices;
let logs: string[];

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function desired(revoked: readonly number[], roots = [ROOT]): DesiredState {
  return { roots, revokedThumbprints: revoked.map(tp), expiredThumbprints: [] };
}

function applyInput(
  want: DesiredState,
  extra: { revokedUsers?: Record<string, string>; restore?: P2sCertificateState; passId?: string } = {},
) {
  return { gatewayId: GATEWAY_ID, passId: "gen-1:1", ticket, desired: want, revokedUsers: {}, ...extra };
}

const gatewayError = (kind: GatewayFailureKind, retryAfterMs?: number) =>
  new GatewayError(kind, 409, `Code-${kind}`, `the gateway said ${kind}`, retryAfterMs);

let keys: webcrypto.CryptoKeyPair;
beforeAll(async () => {
  keys = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ["sign", "verify"],
  );
});

async function rootData(commonName: string, notAfter: Date): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(8).toString("hex")}`,
      name: `CN=${commonName}`,
      notBefore: new Date(notAfter.getTime() - 365 * DAY),
      notAfter,
      keys,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    },
    webcrypto,
  );
  return cert.toString("base64");
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  fake = gatewayServices();
  mockServices = fake;
  logs = [];
  jest.spyOn(InvocationContext.prototype, "log").mockImplementation((...args: unknown[]) => {
    logs.push(args.map(String).join(" "));
  });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe("applyGatewayState", () => {
  it("writes nothing to a gateway that is Updating: busy, without a wait hint", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [], revoked: [] }, "Updating")];
    await expect(invoke("applyGatewayState", applyInput(desired([1])))).resolves.toEqual({
      outcome: "busy",
      detail: "the gateway is Updating",
    });
    expect(fake.gateways.reads).toEqual([REF]);
    expect(fake.gateways.writes).toEqual([]);
    expect(fake.ledger.claims).toEqual([]);
  });

  it("reports a gateway that already holds the desired state as in sync, with its counts, and writes nothing", async () => {
    const extraRoot = { name: "hand-root", publicCertData: "SEFORA==" };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT, extraRoot], revoked: [revokedEntry(1)] })];
    await expect(invoke("applyGatewayState", applyInput(desired([1])))).resolves.toEqual({
      outcome: "inSync",
      revokedCount: 1,
      rootCount: 2,
      leftOff: [],
    });
    expect(fake.gateways.writes).toEqual([]);
    expect(fake.ledger.claims).toEqual([]);
    expect(fake.ledger.marks).toEqual([]);
    expect(fake.ledger.audit).toEqual([]);
  });

  it("claims, marks the revoked users, sends one PUT with If-Match data, audits and journals the write", async () => {
    const before = snapshot({ roots: [], revoked: [revokedEntry(9)] }, "Succeeded", 'W/"7"', { location: "west" });
    fake.gateways.snapshots = [before];
    fake.gateways.begin = { state: "running", operation: "op-serialized" };
    const revokedUsers = { [tp(1)]: "ada@contoso.com", [tp(2)]: "bob@contoso.com", [tp(3)]: "cy@contoso.com" };
    const want = desired([1, 2]);

    const result = await invoke("applyGatewayState", applyInput(want, { revokedUsers }));

    const key = writeKey("gen-1:1", 'W/"7"');
    const plan = {
      addedRevocations: [tp(1), tp(2)],
      prunedRevocations: [],
      rootsAdded: ["p2s-root"],
      rootsRemoved: [],
      restored: [],
      rootsRetired: [],
      leftOff: [],
    };
    expect(result).toEqual({
      outcome: "started",
      operation: "op-serialized",
      writeKey: key,
      plan,
      // The hand-added revocation (not from the ledger) is what the writer must see survive.
      kept: { roots: [], revoked: [revokedEntry(9)] },
    });
    expect(fake.ledger.claims).toEqual([{ gatewayId: GATEWAY_ID, ticket, passId: "gen-1:1" }]);
    expect(fake.ledger.marks).toEqual([
      { gatewayId: GATEWAY_ID, users: ["ada@contoso.com", "bob@contoso.com"], at: new Date(NOW) },
    ]);
    expect(fake.gateways.writes).toEqual([
      {
        ref: REF,
        from: before,
        next: { roots: [ROOT], revoked: [revokedEntry(9), revokedEntry(1), revokedEntry(2)] },
      },
    ]);
    expect(fake.ledger.audit).toEqual([
      {
        id: `${key}:written`,
        at: new Date(NOW),
        actor: "gatewayWriter",
        action: "gateway.written",
        subject: "gateway:gw-west",
        reason: "the gateway accepted a write: added 2 revocations, pruned 0",
        source: "gateway-sync",
        details: {
          added: 2,
          pruned: 0,
          revokedCount: 3,
          firstAdded: tp(1),
          rootsAdded: "p2s-root",
          rootsRetired: "",
          leftOff: 0,
          pass: "gen-1:1",
        },
      },
    ]);
    expect([...fake.ledger.journal.values()]).toEqual([{ key, passId: "gen-1:1", at: new Date(NOW), ...plan }]);
    expect(fake.ledger.journaledFor).toEqual([GATEWAY_ID]);
    expect(logs).toEqual([`gateway GW-West: writing +2 revoked, -0 pruned, roots +1 ~0 -0 expired, restored 0`]);
  });

  it("hands back no operation when the PUT ended at once", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] })];
    fake.gateways.begin = { state: "done", snapshot: snapshot({ roots: [ROOT], revoked: [revokedEntry(1)] }) };
    await expect(invoke("applyGatewayState", applyInput(desired([1])))).resolves.toMatchObject({
      outcome: "started",
      operation: "",
    });
  });

  it("counts updated roots and pruned revocations in what it writes and audits", async () => {
    const pruned = revokedEntry(5);
    fake.gateways.snapshots = [
      { ...snapshot({ roots: [{ name: "P2S-ROOT", publicCertData: "b2xk" }], revoked: [pruned] }), etag: undefined },
    ];
    const want = { roots: [ROOT], revokedThumbprints: [], expiredThumbprints: [tp(5)] };
    const result = (await invoke("applyGatewayState", applyInput(want))) as { plan: unknown; writeKey: string };
    expect(result.plan).toEqual({
      addedRevocations: [],
      prunedRevocations: [tp(5)],
      rootsAdded: ["p2s-root"],
      rootsRemoved: [],
      restored: [],
      rootsRetired: [],
      leftOff: [],
    });
    expect(result.writeKey).toBe("gen-1:1@no-etag");
    expect(fake.ledger.marks).toEqual([{ gatewayId: GATEWAY_ID, users: [], at: new Date(NOW) }]);
    expect(fake.ledger.audit[0]).toMatchObject({
      reason: "the gateway accepted a write: added 0 revocations, pruned 1",
      details: { added: 0, pruned: 1, revokedCount: 0, firstAdded: "", rootsAdded: "p2s-root" },
    });
    expect(logs).toEqual([`gateway GW-West: writing +0 revoked, -1 pruned, roots +0 ~1 -0 expired, restored 0`]);
  });

  it("rewrites a gateway whose last operation Failed, every desired revocation counted as newly added", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [revokedEntry(1), revokedEntry(2)] }, "Failed")];
    const revokedUsers = { [tp(1)]: "ada@contoso.com", [tp(2)]: "bob@contoso.com" };
    const want = { roots: [ROOT], revokedThumbprints: [tp(2).toLowerCase(), tp(1)], expiredThumbprints: [] };
    const result = await invoke("applyGatewayState", applyInput(want, { revokedUsers }));
    expect(result).toMatchObject({ outcome: "started", plan: { addedRevocations: [tp(2), tp(1)] } });
    expect(fake.ledger.marks[0]?.users).toEqual(["bob@contoso.com", "ada@contoso.com"]);
    expect(fake.gateways.writes).toHaveLength(1);
    expect(logs[0]).toBe(
      "gateway GW-West: writing +0 revoked, -0 pruned, roots +0 ~0 -0 expired, restored 0 (after a failed operation)",
    );
  });

  it("puts back entries a concurrent write dropped, and audits them as restored", async () => {
    const handRoot = { name: "hand-root", publicCertData: "SEFORA==" };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [revokedEntry(1)] })];
    const restore = { roots: [handRoot], revoked: [{ name: "hand-revoked", thumbprint: tp(7) }] };
    const result = await invoke("applyGatewayState", applyInput(desired([1]), { restore }));
    const restored = ["root hand-root", `revoked hand-revoked (${tp(7)})`];
    expect(result).toMatchObject({ outcome: "started", plan: { addedRevocations: [], restored } });
    expect(fake.gateways.writes[0]?.next).toEqual({
      roots: [ROOT, handRoot],
      revoked: [revokedEntry(1), { name: "hand-revoked", thumbprint: tp(7) }],
    });
    const key = writeKey("gen-1:1", 'W/"1"');
    expect(fake.ledger.audit.map((a) => a.id)).toEqual([`${key}:written`, `${key}:restored`]);
    expect(fake.ledger.audit[1]).toEqual({
      id: `${key}:restored`,
      at: new Date(NOW),
      actor: "gatewayWriter",
      action: "gateway.entries.restored",
      subject: "gateway:gw-west",
      reason: "a concurrent write dropped entries that were on the gateway before the writer's write; put back",
      source: "gateway-sync",
      details: { count: 2, entries: restored.join("; ") },
    });
    expect(logs[0]).toContain("restored 2");
  });

  it("treats a restore the gateway already shows as nothing to do", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [revokedEntry(1)] })];
    const restore = { roots: [], revoked: [revokedEntry(1)] };
    await expect(invoke("applyGatewayState", applyInput(desired([1]), { restore }))).resolves.toMatchObject({
      outcome: "inSync",
    });
  });

  it("leaves an expired root out of the write and audits it", async () => {
    const expired = { name: "old-root", publicCertData: await rootData("Old", new Date(NOW - DAY)) };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT, expired], revoked: [] })];
    const result = await invoke("applyGatewayState", applyInput(desired([1])));
    const removed = [{ name: "old-root", notAfter: new Date(NOW - DAY).toISOString() }];
    expect(result).toMatchObject({ outcome: "started", plan: { rootsRemoved: removed } });
    expect(fake.gateways.writes[0]?.next.roots).toEqual([ROOT]);
    const key = writeKey("gen-1:1", 'W/"1"');
    expect(fake.ledger.audit[1]).toEqual({
      id: `${key}:expired-roots-removed`,
      at: new Date(NOW),
      actor: "gatewayWriter",
      action: "gateway.expiredRootsRemoved",
      subject: "gateway:gw-west",
      reason: `removed old-root (expired ${removed[0]?.notAfter}): Azure refuses a gateway write that carries an expired root`,
      source: "gateway-sync",
      details: { count: 1, roots: "old-root" },
    });
    expect([...fake.ledger.journal.values()][0]?.rootsRemoved).toEqual(removed);
    expect(logs[0]).toContain("-1 expired");
  });

  it("writes nothing when a newer pass has written: superseded, nothing marked", async () => {
    fake.ledger.fence = { at: NOW + 1, seq: 1 };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] })];
    const revokedUsers = { [tp(1)]: "ada@contoso.com" };
    await expect(invoke("applyGatewayState", applyInput(desired([1]), { revokedUsers }))).resolves.toEqual({
      outcome: "superseded",
      detail: "a newer pass than gen-1:1 has written the gateway",
    });
    expect(fake.gateways.writes).toEqual([]);
    expect(fake.ledger.marks).toEqual([]);
    expect(fake.ledger.audit).toEqual([]);
    expect(logs).toEqual([
      "gateway GW-West: not written, superseded: a newer pass than gen-1:1 has written the gateway",
    ]);
  });

  it("over 300 revocations writes the 300 that stay valid longest and names the one left off, audited", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] })];
    const many = Array.from({ length: MAX_REVOKED_CERTIFICATES + 1 }, (_, i) => i + 1);
    const want = {
      ...desired(many),
      // tp(7) expires first: it is the one left off.
      revocationInfo: { [tp(7)]: { notAfter: new Date(NOW + DAY).toISOString() } },
    };
    const result = (await invoke("applyGatewayState", applyInput(want))) as {
      outcome: string;
      plan: { leftOff: unknown[]; addedRevocations: string[] };
    };
    expect(result.outcome).toBe("started");
    expect(result.plan.leftOff).toEqual([
      { thumbprint: tp(7), notAfter: new Date(NOW + DAY).toISOString(), wasOnGateway: false },
    ]);
    expect(result.plan.addedRevocations).toHaveLength(MAX_REVOKED_CERTIFICATES);
    expect(fake.gateways.writes).toHaveLength(1);
    expect(fake.ledger.audit.map((a) => (a as { action: string }).action)).toContain("gateway.revocationsLeftOff");
  });

  it("tells the operator in its write line which roots it retired and how many revocations had no room", async () => {
    const OLD = { name: "old-root", publicCertData: "T0xE" };
    const OLDER = { name: "older-root", publicCertData: "T0xERVI=" };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT, OLD, OLDER], revoked: [] })];
    const many = Array.from({ length: MAX_REVOKED_CERTIFICATES + 2 }, (_, i) => i + 1);
    const want = { ...desired(many), retiredRootNames: ["old-root", "older-root"] };
    const result = (await invoke("applyGatewayState", applyInput(want))) as { plan: { rootsRetired: string[] } };
    expect(result.plan.rootsRetired).toEqual(["old-root", "older-root"]);
    expect(logs).toEqual([
      `gateway GW-West: writing +${MAX_REVOKED_CERTIFICATES} revoked, -0 pruned, roots +0 ~0 -0 expired, restored 0, retired roots old-root, older-root, 2 revocations left off (no room)`,
    ]);
  });

  describe("a RADIUS gateway", () => {
    const radius = { location: "west", vpnClientConfiguration: { radiusServerAddress: "10.0.0.5" } };

    it("is not written without its secret setting: radiusSecret, nothing claimed or marked", async () => {
      fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] }, "Succeeded", 'W/"1"', radius)];
      const result = (await invoke("applyGatewayState", applyInput(desired([1])))) as Record<string, string>;
      expect(result.outcome).toBe("radiusSecret");
      expect(result.detail).toContain("set GATEWAY_RADIUS_SECRET_NAME");
      expect(fake.ledger.claims).toEqual([]);
      expect(fake.gateways.writes).toEqual([]);
    });

    it("is written with the secret from Key Vault, which never leaves the PUT", async () => {
      fake.config.GATEWAY_RADIUS_SECRET_NAME = "radius-{gateway}";
      fake.keyVault.secrets.getSecret.mockResolvedValue({ value: "s3cret-value" });
      fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] }, "Succeeded", 'W/"1"', radius)];
      const result = await invoke("applyGatewayState", applyInput(desired([1])));
      expect(fake.keyVault.secrets.getSecret).toHaveBeenCalledWith("radius-GW-West");
      expect(fake.gateways.writes[0]?.from.gateway.vpnClientConfiguration?.radiusServerSecret).toBe("s3cret-value");
      expect(JSON.stringify([result, fake.ledger.audit, [...fake.ledger.journal.values()], logs])).not.toContain(
        "s3cret",
      );
    });
  });

  describe("maps the gateway's refusals", () => {
    it.each<[GatewayFailureKind, Record<string, unknown>]>([
      ["busy", { outcome: "busy", retryAfterMs: 30_000, detail: "the gateway said busy" }],
      ["throttled", { outcome: "throttled", retryAfterMs: 30_000, detail: "the gateway said throttled" }],
      ["preconditionFailed", { outcome: "conflict", detail: "the gateway said preconditionFailed" }],
      ["invalid", { outcome: "rejected", detail: "the gateway said invalid" }],
      ["operationFailed", { outcome: "failed", detail: "the gateway said operationFailed" }],
    ])("%s from the PUT", async (kind, outcome) => {
      fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] })];
      fake.gateways.begin = gatewayError(kind, 30_000);
      await expect(invoke("applyGatewayState", applyInput(desired([1])))).resolves.toEqual(outcome);
      expect(fake.ledger.audit).toEqual([]);
      expect(fake.ledger.journal.size).toBe(0);
    });

    it.each<GatewayFailureKind>(["notFound", "other"])(
      "%s: thrown, for the writer's retries and alert",
      async (kind) => {
        fake.gateways.snapshots = [gatewayError(kind)];
        await expect(invoke("applyGatewayState", applyInput(desired([1])))).rejects.toThrow(`the gateway said ${kind}`);
      },
    );

    it("throws what is not a gateway failure", async () => {
      fake.gateways.snapshots = [new RestError("socket hang up")];
      await expect(invoke("applyGatewayState", applyInput(desired([1])))).rejects.toThrow("socket hang up");
    });
  });
});

describe("awaitGatewayWrite", () => {
  const awaitInput = (operation: string, extra: Record<string, unknown> = {}) => ({
    gatewayId: GATEWAY_ID,
    operation,
    writeKey: "gen-1:1@abc",
    desired: desired([1]),
    ...extra,
  });

  it("follows a running PUT for one bounded call and hands back the next operation", async () => {
    fake.gateways.poll = { state: "running", operation: "op-2" };
    await expect(invoke("awaitGatewayWrite", awaitInput("op-1"))).resolves.toEqual({
      outcome: "running",
      operation: "op-2",
    });
    expect(fake.gateways.polls).toEqual([{ ref: REF, operation: "op-1", limits: { polls: 6, maxMs: 300_000 } }]);
    expect(WRITE_POLL_LIMITS).toEqual({ polls: 6, maxMs: 300_000 });
    expect(fake.gateways.reads).toEqual([]);
  });

  it("verifies an ended write from a fresh read, not from the operation's answer", async () => {
    fake.gateways.poll = { state: "done", snapshot: snapshot({ roots: [], revoked: [] }) };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [revokedEntry(1), revokedEntry(4)] })];
    await expect(invoke("awaitGatewayWrite", awaitInput("op-1"))).resolves.toEqual({
      outcome: "written",
      revokedCount: 2,
      rootCount: 1,
    });
    expect(fake.gateways.reads).toEqual([REF]);
  });

  it("does not poll when the PUT had already ended", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [revokedEntry(1)] })];
    await expect(invoke("awaitGatewayWrite", awaitInput(""))).resolves.toMatchObject({ outcome: "written" });
    expect(fake.gateways.polls).toEqual([]);
  });

  it("reports kept entries a concurrent write dropped as lost", async () => {
    const hand = { name: "hand", thumbprint: tp(8) };
    const handRoot = { name: "hand-root", publicCertData: "SEFORA==" };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT, handRoot], revoked: [revokedEntry(1)] })];
    const kept = { roots: [handRoot], revoked: [hand] };
    await expect(invoke("awaitGatewayWrite", awaitInput("", { kept }))).resolves.toEqual({
      outcome: "written",
      revokedCount: 1,
      rootCount: 2,
      lost: { roots: [], revoked: [hand] },
    });
  });

  it("calls a write unverified when the gateway does not show the desired state", async () => {
    const hand = { name: "hand", thumbprint: tp(8) };
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] })];
    await expect(
      invoke("awaitGatewayWrite", awaitInput("", { kept: { roots: [], revoked: [hand] } })),
    ).resolves.toEqual({
      outcome: "unverified",
      detail: "after the write the gateway is Succeeded and does not show the written state",
      lost: { roots: [], revoked: [hand] },
    });
  });

  it("calls a write unverified when the gateway did not end Succeeded, even showing the state", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [revokedEntry(1)] }, "Failed")];
    await expect(invoke("awaitGatewayWrite", awaitInput(""))).resolves.toEqual({
      outcome: "unverified",
      detail: "after the write the gateway is Failed and shows the written state",
    });
    fake.gateways.snapshots = [
      { ...snapshot({ roots: [ROOT], revoked: [revokedEntry(1)] }), provisioningState: undefined },
    ];
    await expect(invoke("awaitGatewayWrite", awaitInput(""))).resolves.toEqual({
      outcome: "unverified",
      detail: "after the write the gateway is in an unknown state and shows the written state",
    });
  });

  it.each<[GatewayFailureKind, string]>([
    ["busy", "busy"],
    ["operationFailed", "failed"],
  ])("audits a write whose operation ended %s, after which it is %s", async (kind, outcome) => {
    fake.gateways.poll = gatewayError(kind, 5_000);
    await expect(invoke("awaitGatewayWrite", awaitInput("op-1"))).resolves.toMatchObject({ outcome });
    expect(fake.ledger.audit).toEqual([
      {
        id: "gen-1:1@abc:failed",
        at: new Date(NOW),
        actor: "gatewayWriter",
        action: "gateway.writeFailed",
        subject: "gateway:gw-west",
        reason: `the operation of an accepted write ended Failed: the gateway said ${kind}`,
        source: "gateway-sync",
        details: { write: "gen-1:1@abc" },
      },
    ]);
  });

  it("audits nothing for a poll that was throttled, nor without a write key", async () => {
    fake.gateways.poll = gatewayError("throttled", 5_000);
    await expect(invoke("awaitGatewayWrite", awaitInput("op-1"))).resolves.toEqual({
      outcome: "throttled",
      retryAfterMs: 5_000,
      detail: "the gateway said throttled",
    });
    fake.gateways.poll = gatewayError("busy");
    await expect(invoke("awaitGatewayWrite", awaitInput("op-1", { writeKey: undefined }))).resolves.toMatchObject({
      outcome: "busy",
    });
    expect(fake.ledger.audit).toEqual([]);
  });

  it("throws a failure no outcome covers", async () => {
    fake.gateways.snapshots = [gatewayError("notFound")];
    await expect(invoke("awaitGatewayWrite", awaitInput(""))).rejects.toThrow("the gateway said notFound");
    fake.gateways.poll = new Error("boom");
    await expect(invoke("awaitGatewayWrite", awaitInput("op-1"))).rejects.toThrow("boom");
    expect(fake.ledger.audit).toEqual([]);
  });
});

// Added after the first Stryker run, each for a survivor of it.
describe("applyGatewayState, more", () => {
  it("marks only users it knows: a revoked thumbprint without a user marks nobody", async () => {
    fake.gateways.snapshots = [snapshot({ roots: [ROOT], revoked: [] })];
    const revokedUsers = { [tp(2)]: "bob@contoso.com" };
    await invoke("applyGatewayState", applyInput(desired([1, 2]), { revokedUsers }));
    expect(fake.ledger.marks).toEqual([{ gatewayId: GATEWAY_ID, users: ["bob@contoso.com"], at: new Date(NOW) }]);
  });
});

describe("auditAcceptedWrite", () => {
  /** A journaled write that changed nothing but what `changes` says. */
  const journaled = (passId: string, changes: Partial<JournaledWrite>): JournaledWrite => ({
    key: `${passId}@k`,
    passId,
    at: new Date(NOW),
    addedRevocations: [],
    prunedRevocations: [],
    rootsAdded: [],
    rootsRemoved: [],
    restored: [],
    ...changes,
  });

  it("names every root a write added and every expired root it left out, comma-separated", async () => {
    const write = journaled("gen-1:1", {
      rootsAdded: ["root-a", "root-b"],
      rootsRemoved: [
        { name: "old-a", notAfter: "2029-01-01T00:00:00.000Z" },
        { name: "old-b", notAfter: "2029-02-01T00:00:00.000Z" },
      ],
    });
    await auditAcceptedWrite(fake.ledger as unknown as Ledger, GATEWAY_ID, write, 0);
    expect(fake.ledger.audit.map((a) => a.details)).toEqual([
      {
        added: 0,
        pruned: 0,
        revokedCount: 0,
        firstAdded: "",
        rootsAdded: "root-a,root-b",
        rootsRetired: "",
        leftOff: 0,
        pass: "gen-1:1",
      },
      { count: 2, roots: "old-a,old-b" },
    ]);
  });

  it("audits what a full gateway left off: how many, how many it removed, and the soonest expiry known", async () => {
    const write = journaled("gen-2:1", {
      addedRevocations: [tp(1)],
      rootsRetired: ["old-root", "older-root"],
      leftOff: [
        { thumbprint: tp(7), notAfter: "2030-03-01T00:00:00.000Z", wasOnGateway: true },
        { thumbprint: tp(9), notAfter: "2030-02-01T00:00:00.000Z", wasOnGateway: false },
        { thumbprint: tp(8), wasOnGateway: false }, // expiry unknown: never the soonest, even after the soonest
        { thumbprint: tp(10), notAfter: "2030-02-15T00:00:00.000Z", wasOnGateway: true },
      ],
    });
    await auditAcceptedWrite(fake.ledger as unknown as Ledger, GATEWAY_ID, write, 301);
    expect(fake.ledger.audit.map((a) => a.details?.rootsRetired)).toEqual(["old-root,older-root", undefined]);
    expect(fake.ledger.audit[1]).toMatchObject({
      id: "gen-2:1@k:left-off",
      action: "gateway.revocationsLeftOff",
      reason: "the gateway holds at most 300 revocations: 4 that expire soonest were left off this write",
      details: { count: 4, removedFromGateway: 2, soonest: "2030-02-01T00:00:00.000Z" },
    });
  });

  it("gives no soonest expiry when none of the left-off entries has one", async () => {
    const write = journaled("gen-3:1", { leftOff: [{ thumbprint: tp(7), wasOnGateway: false }] });
    await auditAcceptedWrite(fake.ledger as unknown as Ledger, GATEWAY_ID, write, 300);
    expect(fake.ledger.audit[1]?.details).toEqual({ count: 1, removedFromGateway: 0, soonest: "" });
  });
});
