// The root moves of a rotation (createNextRoot, promoteRoot, withdrawRoot, restoreRoot, retireRoot,
// listUsersToReissue) through the fake invoker, over the real root registry on an in-memory table with Key Vault
// stubbed: what each answers, the registry as each leaves it, and the one audit row each writes (its id, its details).
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("../../../src/clients/ca-root-versions", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/ca-root-versions")>(
    "../../../src/clients/ca-root-versions",
  ),
  locateRoot: jest.fn(),
}));
const mockHeld = jest.fn();
jest.mock("../../../src/clients/managed-roots", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/managed-roots")>("../../../src/clients/managed-roots"),
  disableRootVersions: jest.fn(() => Promise.resolve(2)),
  rootLock: jest.fn((_config: unknown, name: string) => ({
    name,
    run: (work: (guard: { assertHeld(): void }) => unknown) => work({ assertHeld: mockHeld }),
  })),
}));
jest.mock("../../../src/clients/key-vault-ca", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/key-vault-ca")>("../../../src/clients/key-vault-ca"),
  ensureRootCaDetailed: jest.fn(),
}));

import "../../../src/activities/root-rotation";
import { locateRoot } from "../../../src/clients/ca-root-versions";
import { ensureRootCaDetailed } from "../../../src/clients/key-vault-ca";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { disableRootVersions, rootLock } from "../../../src/clients/managed-roots";
import { RootRegistry } from "../../../src/clients/root-registry";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { MemoryTable } from "../roots/memory-table";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
const NOW = new Date("2030-01-01T10:00:00.000Z");
const ROT = { rotationId: "rot-1", actor: "user:admin@contoso.com" };
const CONFIG = { CA_ROOT_NAME: "p2s-root", CA_ROOT_SUBJECT: "CN=P2S Root CA" };

function rootCa(name: string, thumbprint: string): RootCa {
  return {
    name,
    subject: `CN=${name}`,
    thumbprint,
    serialNumber: "01",
    notBefore: "2030-01-01T00:00:00.000Z",
    notAfter: "2040-01-01T00:00:00.000Z",
    publicCertData: "MIIB",
    keyId: `https://vault/keys/${name}/v1`,
  };
}

const FIRST = rootCa("p2s-root", "AA".repeat(20));
const SECOND = rootCa("p2s-root-g2", "BB".repeat(20));

class StreamingLedger extends FakeLedger {
  readonly streamed: { status: string; after: string | undefined }[] = [];
  async *streamByStatus(status: string, after?: string): AsyncIterable<CertificateRecord> {
    this.streamed.push({ status, after });
    await Promise.resolve();
    const rows = [...this.certificates.values()].sort((a, b) => a.userKey.localeCompare(b.userKey));
    for (const record of rows) {
      if (record.status === status && (after === undefined || record.userKey > after)) yield record;
    }
  }
}

/** An active certificate record of `userKey`, with the root that signed it when one is recorded. */
function activeCertificate(userKey: string, rootThumbprint?: string): CertificateRecord {
  return {
    userKey,
    upn: userKey,
    certificateName: `c-${userKey}`,
    status: "active",
    requestId: userKey,
    source: "api",
    sourceId: userKey,
    ...(rootThumbprint === undefined ? {} : { rootThumbprint }),
    updatedAt: NOW,
  };
}

let registry: RootRegistry;
let ledger: StreamingLedger;
const keyVault = { kv: true };

function located(root: RootCa): Awaited<ReturnType<typeof locateRoot>> {
  return {
    root,
    version: {
      version: "v1",
      enabled: true,
      createdOn: 0,
      tags: { bootstrap: "complete" },
      keyId: root.keyId,
      der: undefined,
    },
  };
}

beforeEach(async () => {
  registry = new RootRegistry(new MemoryTable().asClient(), CONFIG);
  ledger = new StreamingLedger();
  mockServices = { roots: registry, ledger, keyVault, config: CONFIG };
  jest.mocked(locateRoot).mockReset();
  jest.mocked(disableRootVersions).mockClear();
  jest.mocked(rootLock).mockClear();
  jest.mocked(ensureRootCaDetailed).mockReset();
  mockHeld.mockClear();
  await registry.recordCertificate((await registry.current()).name, FIRST, NOW);
});

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function audited(step: string, name: string, details: Record<string, unknown>): unknown {
  return {
    id: `rotation:rot-1:root-${step}:${name}`,
    at: expect.any(Date) as unknown,
    actor: ROT.actor,
    action: `root.${step}`,
    subject: "root",
    reason: "root rotation rot-1",
    source: "rotation",
    requestId: "rot-1",
    details: { name, ...details },
  };
}

async function created(): Promise<void> {
  jest.mocked(ensureRootCaDetailed).mockResolvedValue({ root: SECOND, bootstrapped: true });
  await invoke("createNextRoot", ROT);
}

async function promoted(): Promise<void> {
  await created();
  jest.mocked(locateRoot).mockResolvedValue(located(SECOND));
  await invoke("promoteRoot", { ...ROT, name: SECOND.name });
  ledger.audit.length = 0;
}

describe("createNextRoot", () => {
  it("bootstraps the reserved root under its own name, subject and lock, records it, and audits it", async () => {
    jest.mocked(ensureRootCaDetailed).mockResolvedValue({ root: SECOND, bootstrapped: true });
    expect(await invoke("createNextRoot", ROT)).toEqual({
      name: SECOND.name,
      thumbprint: SECOND.thumbprint,
      notAfter: SECOND.notAfter,
    });
    const [kv, config, , options] = jest.mocked(ensureRootCaDetailed).mock.calls[0] ?? [];
    expect(kv).toBe(keyVault);
    expect(config).toEqual({ CA_ROOT_NAME: "p2s-root-g2", CA_ROOT_SUBJECT: "CN=P2S Root CA G2" });
    expect(jest.mocked(rootLock)).toHaveBeenCalledWith(CONFIG, "p2s-root-g2");
    expect(options).toEqual({ lock: expect.objectContaining({ name: "p2s-root-g2" }) as unknown });
    expect(await registry.get(SECOND.name)).toMatchObject({ state: "pending", thumbprint: SECOND.thumbprint });
    expect(ledger.audit).toEqual([
      audited("created", SECOND.name, { thumbprint: SECOND.thumbprint, notAfter: SECOND.notAfter }),
    ]);
    expect(disableRootVersions).not.toHaveBeenCalled();
  });

  it("refuses to make again a root its rotation saw retired", async () => {
    await promoted();
    await invoke("restoreRoot", { ...ROT, oldName: FIRST.name, newName: SECOND.name });
    await invoke("retireRoot", { ...ROT, name: SECOND.name });
    await expect(invoke("createNextRoot", ROT)).rejects.toThrow("root p2s-root-g2 of rotation rot-1 is retired");
  });
});

describe("promoteRoot", () => {
  it("moves the current root to retiring (its certificate recorded first) and audits the previous one", async () => {
    registry = new RootRegistry(new MemoryTable().asClient(), CONFIG);
    mockServices = { roots: registry, ledger, keyVault, config: CONFIG };
    await registry.list();
    await created();
    // The first root's certificate was never recorded: Key Vault is read for it before it retires.
    jest
      .mocked(locateRoot)
      .mockImplementation((_kv, name) => Promise.resolve(located(name === FIRST.name ? FIRST : SECOND)));
    expect(await invoke("promoteRoot", { ...ROT, name: SECOND.name })).toEqual({
      name: SECOND.name,
      thumbprint: SECOND.thumbprint,
      previous: FIRST.name,
    });
    expect(await registry.get(FIRST.name)).toMatchObject({ state: "retiring", thumbprint: FIRST.thumbprint });
    expect(await registry.get(SECOND.name)).toMatchObject({ state: "current", previous: FIRST.name });
    expect(ledger.audit.at(-1)).toEqual(
      audited("promoted", SECOND.name, { thumbprint: SECOND.thumbprint, previous: FIRST.name }),
    );
  });

  it("refuses a root that is neither pending nor current", async () => {
    await promoted();
    await invoke("restoreRoot", { ...ROT, oldName: FIRST.name, newName: SECOND.name });
    await expect(invoke("promoteRoot", { ...ROT, name: SECOND.name })).rejects.toThrow(
      "root p2s-root-g2 is retiring, not pending",
    );
  });
});

describe("promoteRoot beside other roots", () => {
  const THIRD = rootCa("p2s-root-g3", "CC".repeat(20));
  const ROT2 = { rotationId: "rot-2", actor: ROT.actor };

  it("moves only the current root to retiring, leaving a root an earlier rotation retired as it is", async () => {
    // rot-1 made g2, was cancelled after its promotion and retired g2: the registry keeps it, retired.
    await promoted();
    await invoke("restoreRoot", { ...ROT, oldName: FIRST.name, newName: SECOND.name });
    await invoke("retireRoot", { ...ROT, name: SECOND.name });
    jest.mocked(ensureRootCaDetailed).mockResolvedValue({ root: THIRD, bootstrapped: true });
    await invoke("createNextRoot", ROT2);
    jest.mocked(locateRoot).mockResolvedValue(located(THIRD));
    expect(await invoke("promoteRoot", { ...ROT2, name: THIRD.name })).toEqual({
      name: THIRD.name,
      thumbprint: THIRD.thumbprint,
      previous: FIRST.name,
    });
    expect((await registry.list()).map((r) => [r.name, r.state])).toEqual([
      [FIRST.name, "retiring"],
      [SECOND.name, "retired"],
      [THIRD.name, "current"],
    ]);
  });

  it("fails when the root is no longer current once promoted (another move came between), auditing nothing", async () => {
    await created();
    ledger.audit.length = 0;
    jest.mocked(locateRoot).mockResolvedValue(located(SECOND));
    const moveTogether = registry.moveTogether.bind(registry);
    jest.spyOn(registry, "moveTogether").mockImplementationOnce(async (moves, now) => {
      const after = await moveTogether(moves, now);
      await moveTogether(
        [
          { name: FIRST.name, from: "retiring", to: "current" },
          { name: SECOND.name, from: "current", to: "retiring" },
        ],
        now,
      );
      return after;
    });
    await expect(invoke("promoteRoot", { ...ROT, name: SECOND.name })).rejects.toThrow(
      "root p2s-root-g2 is retiring after its promotion",
    );
    expect(ledger.audit).toEqual([]);
  });
});

describe("withdrawRoot", () => {
  it("withdraws the pending root under its lock, disables it in Key Vault and says whether it disabled anything", async () => {
    await created();
    ledger.audit.length = 0;
    expect(await invoke("withdrawRoot", { ...ROT, name: SECOND.name })).toEqual({ name: SECOND.name });
    expect(jest.mocked(rootLock)).toHaveBeenLastCalledWith(CONFIG, SECOND.name);
    expect(mockHeld).toHaveBeenCalledTimes(1);
    expect(disableRootVersions).toHaveBeenCalledWith(keyVault, SECOND.name);
    expect((await registry.get(SECOND.name))?.state).toBe("withdrawn");
    jest.mocked(disableRootVersions).mockResolvedValueOnce(0);
    await invoke("withdrawRoot", { ...ROT, name: SECOND.name });
    expect(ledger.audit).toEqual([
      audited("withdrawn", SECOND.name, { disabledNow: true }),
      audited("withdrawn", SECOND.name, { disabledNow: false }),
    ]);
  });

  it("refuses a root another rotation made", async () => {
    await created();
    await expect(invoke("withdrawRoot", { ...ROT, rotationId: "rot-2", name: SECOND.name })).rejects.toThrow(
      "root p2s-root-g2 was not made by rotation rot-2",
    );
    await expect(invoke("withdrawRoot", { ...ROT, name: "p2s-root-g9" })).rejects.toThrow(
      "root p2s-root-g9 is not in the registry",
    );
  });
});

describe("restoreRoot", () => {
  it("makes the old root current again and the rotation's root retiring, and audits what it replaced", async () => {
    await promoted();
    expect(await invoke("restoreRoot", { ...ROT, oldName: FIRST.name, newName: SECOND.name })).toEqual({
      name: FIRST.name,
    });
    expect((await registry.get(FIRST.name))?.state).toBe("current");
    expect((await registry.get(SECOND.name))?.state).toBe("retiring");
    expect(ledger.audit).toEqual([audited("restored", FIRST.name, { replaced: SECOND.name })]);
  });

  it("refuses to restore over a root another rotation made", async () => {
    await promoted();
    await expect(
      invoke("restoreRoot", { ...ROT, rotationId: "rot-2", oldName: FIRST.name, newName: SECOND.name }),
    ).rejects.toThrow("was not made by rotation rot-2");
    expect((await registry.get(SECOND.name))?.state).toBe("current");
  });
});

describe("retireRoot", () => {
  it("retires a root Key Vault no longer knows, superseding nothing, and audits it without a thumbprint", async () => {
    registry = new RootRegistry(new MemoryTable().asClient(), CONFIG);
    mockServices = { roots: registry, ledger, keyVault, config: CONFIG };
    await registry.list();
    await registry.reserve("rot-1", NOW);
    await registry.moveTogether(
      [
        { name: SECOND.name, from: "pending", to: "current" },
        { name: FIRST.name, from: "current", to: "retiring" },
      ],
      NOW,
    );
    jest.mocked(locateRoot).mockResolvedValue(undefined);
    ledger.audit.length = 0;
    expect(await invoke("retireRoot", { ...ROT, name: FIRST.name })).toEqual({ superseded: 0 });
    expect((await registry.get(FIRST.name))?.state).toBe("retired");
    expect(ledger.audit).toEqual([audited("retired", FIRST.name, { superseded: 0 })]);
  });

  it("supersedes the first root's certificates, those without a root recorded included, and audits the count", async () => {
    await promoted();
    await ledger.putCertificate(activeCertificate("a@x.com", FIRST.thumbprint));
    await ledger.putCertificate(activeCertificate("b@x.com"));
    await ledger.putCertificate(activeCertificate("c@x.com", SECOND.thumbprint));
    expect(await invoke("retireRoot", { ...ROT, name: FIRST.name })).toEqual({ superseded: 2 });
    expect(ledger.audit).toEqual([audited("retired", FIRST.name, { superseded: 2, thumbprint: FIRST.thumbprint })]);
    expect((await registry.get(FIRST.name))?.superseded).toBe(2);
    await expect(invoke("retireRoot", { ...ROT, name: "p2s-root-g9" })).rejects.toThrow(
      "root p2s-root-g9 is not in the registry",
    );
  });

  it("supersedes only the certificates recorded as a rotation's root's own when retiring a root a rotation made", async () => {
    await promoted();
    await invoke("restoreRoot", { ...ROT, oldName: FIRST.name, newName: SECOND.name });
    // A record without a root predates rotations: it was signed by the first root, not by g2.
    await ledger.putCertificate(activeCertificate("a@x.com", SECOND.thumbprint));
    await ledger.putCertificate(activeCertificate("b@x.com"));
    expect(await invoke("retireRoot", { ...ROT, name: SECOND.name })).toEqual({ superseded: 1 });
    expect(ledger.certificates.get("a@x.com/c-a@x.com")?.status).toBe("superseded");
    expect(ledger.certificates.get("b@x.com/c-b@x.com")?.status).toBe("active");
  });

  it("counts on from a count recorded before when more certificates move on a later run", async () => {
    await promoted();
    await invoke("retireRoot", { ...ROT, name: FIRST.name });
    expect((await registry.get(FIRST.name))?.superseded).toBe(0);
    await ledger.putCertificate({
      userKey: "late@x.com",
      upn: "late@x.com",
      certificateName: "late",
      status: "active",
      requestId: "late",
      source: "api",
      sourceId: "late",
      rootThumbprint: FIRST.thumbprint,
      updatedAt: NOW,
    });
    expect(await invoke("retireRoot", { ...ROT, name: FIRST.name })).toEqual({ superseded: 1 });
    expect((await registry.get(FIRST.name))?.superseded).toBe(1);
  });
});

describe("listUsersToReissue", () => {
  it("pages the users without an active certificate of the new root, after the given user", async () => {
    for (const [userKey, root] of [
      ["a@x.com", FIRST.thumbprint],
      ["b@x.com", SECOND.thumbprint],
      ["c@x.com", FIRST.thumbprint],
      ["d@x.com", FIRST.thumbprint],
    ] as const) {
      await ledger.putCertificate({
        userKey,
        upn: userKey.toUpperCase(),
        certificateName: `c-${userKey}`,
        status: "active",
        requestId: userKey,
        source: "api",
        sourceId: userKey,
        rootThumbprint: root,
        updatedAt: NOW,
      });
    }
    expect(await invoke("listUsersToReissue", { rootThumbprint: SECOND.thumbprint, limit: 1 })).toEqual({
      upns: ["A@X.COM"],
      next: "a@x.com",
    });
    expect(
      await invoke("listUsersToReissue", { rootThumbprint: SECOND.thumbprint, limit: 5, after: "a@x.com" }),
    ).toEqual({ upns: ["C@X.COM", "D@X.COM"] });
    expect(ledger.streamed).toEqual([
      { status: "active", after: undefined },
      { status: "active", after: "a@x.com" },
    ]);
  });
});
