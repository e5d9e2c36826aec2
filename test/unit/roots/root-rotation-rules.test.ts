// The rotation activities' refusals and repeats, over the real registry on an in-memory table with Key Vault stubbed:
// only a root Key Vault holds complete is promoted, only a retiring root is retired, a rotation touches only its own
// root, a root withdrawn while it was made is disabled, and a repeat answers the same under the same audit id.
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
jest.mock("../../../src/clients/managed-roots", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/managed-roots")>("../../../src/clients/managed-roots"),
  disableRootVersions: jest.fn(() => Promise.resolve(2)),
  rootLock: jest.fn(() => ({ run: (work: (guard: { assertHeld(): void }) => unknown) => work({ assertHeld() {} }) })),
}));
jest.mock("../../../src/clients/key-vault-ca", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/key-vault-ca")>("../../../src/clients/key-vault-ca"),
  ensureRootCaDetailed: jest.fn(),
}));

import {
  createNextRootNow,
  promoteRootNow,
  retireRootNow,
  withdrawRootNow,
} from "../../../src/activities/root-rotation";
import { locateRoot } from "../../../src/clients/ca-root-versions";
import { ensureRootCaDetailed } from "../../../src/clients/key-vault-ca";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { disableRootVersions } from "../../../src/clients/managed-roots";
import { RootRegistry, RootRegistryConflict } from "../../../src/clients/root-registry";
import { FakeLedger } from "../activities/activity-fakes";
import { MemoryTable } from "./memory-table";

const NOW = new Date("2030-01-01T10:00:00.000Z");
const ROT = { rotationId: "rot-1", actor: "user:admin@contoso.com" };

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

/** The ledger fake, read user after user as the real one streams it. */
class StreamingLedger extends FakeLedger {
  async *streamByStatus(status: string): AsyncIterable<Awaited<ReturnType<FakeLedger["getCertificate"]>> & object> {
    await Promise.resolve();
    for (const record of [...this.certificates.values()]) if (record.status === status) yield record;
  }
}

let table: MemoryTable;
let registry: RootRegistry;
let ledger: StreamingLedger;

function located(root: RootCa, complete = true): Awaited<ReturnType<typeof locateRoot>> {
  const tags: Record<string, string> = complete ? { bootstrap: "complete" } : {};
  return {
    root,
    version: { version: "v1", enabled: true, createdOn: 0, tags, keyId: root.keyId, der: undefined },
  };
}

beforeEach(async () => {
  table = new MemoryTable();
  registry = new RootRegistry(table.asClient(), { CA_ROOT_NAME: "p2s-root", CA_ROOT_SUBJECT: "CN=P2S Root CA" });
  ledger = new StreamingLedger();
  mockServices = { roots: registry, ledger, keyVault: {}, config: { CA_ROOT_NAME: "p2s-root" } };
  jest.mocked(locateRoot).mockReset();
  jest.mocked(disableRootVersions).mockClear();
  jest.mocked(ensureRootCaDetailed).mockReset();
  await registry.recordCertificate((await registry.current()).name, FIRST, NOW);
});

async function reserveAndRecord(): Promise<void> {
  await registry.reserve(ROT.rotationId, NOW);
  await registry.recordCertificate(SECOND.name, SECOND, NOW);
}

describe("promoteRoot", () => {
  it("refuses a root Key Vault does not hold, or holds unfinished, or holds as another certificate", async () => {
    await reserveAndRecord();
    for (const answer of [undefined, located(SECOND, false), located({ ...SECOND, thumbprint: "CC".repeat(20) })]) {
      jest.mocked(locateRoot).mockResolvedValue(answer);
      await expect(promoteRootNow({ ...ROT, name: SECOND.name })).rejects.toThrow(/is not bootstrapped in Key Vault/);
    }
    expect((await registry.current()).name).toBe("p2s-root");
  });

  it("refuses a root another rotation made", async () => {
    await reserveAndRecord();
    await expect(promoteRootNow({ ...ROT, rotationId: "rot-2", name: SECOND.name })).rejects.toThrow(
      /was not made by rotation rot-2/,
    );
  });

  it("promotes once and answers the same, audited under one id", async () => {
    await reserveAndRecord();
    jest.mocked(locateRoot).mockResolvedValue(located(SECOND));
    const first = await promoteRootNow({ ...ROT, name: SECOND.name });
    expect(await promoteRootNow({ ...ROT, name: SECOND.name })).toEqual(first);
    expect(first).toEqual({ name: SECOND.name, thumbprint: SECOND.thumbprint, previous: "p2s-root" });
    expect(new Set(ledger.audit.map((a) => a.id))).toEqual(new Set([`rotation:rot-1:root-promoted:${SECOND.name}`]));
  });
});

describe("retireRoot", () => {
  it("refuses a current or a pending root, and disables nothing", async () => {
    await reserveAndRecord();
    await expect(retireRootNow({ ...ROT, name: "p2s-root" })).rejects.toThrow(/is current: only a retiring root/);
    await expect(retireRootNow({ ...ROT, name: SECOND.name })).rejects.toThrow(/is pending/);
    expect(disableRootVersions).not.toHaveBeenCalled();
  });

  it("answers the count of its first run on every repeat", async () => {
    table.change("roots", "p2s-root", { state: "retiring" });
    for (const [name, root] of [
      ["a1", FIRST.thumbprint],
      ["a2", undefined],
      ["b1", SECOND.thumbprint],
    ] as const) {
      await ledger.putCertificate({
        userKey: `${name}@contoso.com`,
        upn: `${name}@contoso.com`,
        certificateName: name,
        status: "active",
        requestId: name,
        source: "api",
        sourceId: name,
        ...(root === undefined ? {} : { rootThumbprint: root }),
        updatedAt: NOW,
      });
    }
    expect(await retireRootNow({ ...ROT, name: "p2s-root" })).toEqual({ superseded: 2 });
    expect(await retireRootNow({ ...ROT, name: "p2s-root" })).toEqual({ superseded: 2 });
    expect([...ledger.certificates.values()].map((r) => r.status)).toEqual(["superseded", "superseded", "active"]);
    expect(disableRootVersions).toHaveBeenCalledWith({}, "p2s-root");
    expect((await registry.get("p2s-root"))?.state).toBe("retired");
  });
});

describe("withdrawRoot and createNextRoot", () => {
  it("never withdraws the current root", async () => {
    await reserveAndRecord();
    jest.mocked(locateRoot).mockResolvedValue(located(SECOND));
    await promoteRootNow({ ...ROT, name: SECOND.name });
    await expect(withdrawRootNow({ ...ROT, name: SECOND.name })).rejects.toThrow(RootRegistryConflict);
    expect(disableRootVersions).not.toHaveBeenCalled();
  });

  it("disables a root withdrawn while its bootstrap ran, and says so", async () => {
    jest.mocked(ensureRootCaDetailed).mockImplementation(async () => {
      await withdrawRootNow({ ...ROT, name: SECOND.name });
      return { root: SECOND, bootstrapped: true };
    });
    await expect(createNextRootNow(ROT)).rejects.toThrow(/was withdrawn while it was being created/);
    expect(disableRootVersions).toHaveBeenCalledTimes(2);
    expect((await registry.get(SECOND.name))?.state).toBe("withdrawn");
    await expect(createNextRootNow(ROT)).rejects.toThrow(/is withdrawn/);
  });
});
