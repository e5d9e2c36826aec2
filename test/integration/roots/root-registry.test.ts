// The root registry through the real Tables SDK against Azurite: the first root registered on first use, reserved
// generations, moves checked and atomic, repeats answering the same, and the ledger read user after user.
import { parseConfig } from "../../../src/config";
import { Ledger } from "../../../src/clients/ledger";
import { RootRegistry, RootRegistryConflict } from "../../../src/clients/root-registry";
import type { RootCa } from "../../../src/clients/key-vault-ca";
import { supersedeRootCertificates, usersToReissue } from "../../../src/clients/root-certificates";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { baseEnv } from "../../support/env";

const NOW = new Date("2030-01-01T10:00:00.000Z");

function newConfig(): ReturnType<typeof parseConfig> {
  const prefix = uniqueName("rr").replace(/[^a-z0-9]/g, "");
  return parseConfig(
    baseEnv({ AzureWebJobsStorage: azuriteConnectionString(), LEDGER_TABLE_PREFIX: prefix, CA_ROOT_NAME: "p2s-root" }),
  );
}

function fakeRoot(name: string, thumbprint: string): RootCa {
  return {
    name,
    subject: "CN=P2S Root CA, O=p2s-lifecycle",
    thumbprint,
    serialNumber: "01",
    notBefore: "2030-01-01T00:00:00.000Z",
    notAfter: "2040-01-01T00:00:00.000Z",
    publicCertData: "MIIB",
    keyId: `https://vault/keys/${name}/v1`,
  };
}

describe("RootRegistry", () => {
  it("registers CA_ROOT_NAME as current when empty, once, and lists it", async () => {
    const config = newConfig();
    const [a, b] = [RootRegistry.fromConfig(config), RootRegistry.fromConfig(config)];
    const [first, second] = await Promise.all([a.current(), b.current()]);
    expect(first).toMatchObject({ name: "p2s-root", state: "current", generation: 1 });
    expect(second.name).toBe("p2s-root");
    expect(await a.list()).toHaveLength(1);
  });

  it("reserves the next generation once per rotation, with its own name and subject", async () => {
    const registry = RootRegistry.fromConfig(newConfig());
    const [r1, r1again] = await Promise.all([registry.reserve("rot-1", NOW), registry.reserve("rot-1", NOW)]);
    expect(r1).toMatchObject({
      name: "p2s-root-g2",
      state: "pending",
      generation: 2,
      rotationId: "rot-1",
      subject: "CN=P2S Root CA G2, O=p2s-lifecycle",
    });
    expect(r1again.name).toBe("p2s-root-g2");
    expect(await registry.reserve("rot-1", NOW)).toEqual(r1);
    expect((await registry.byRotation("rot-1"))?.name).toBe("p2s-root-g2");
    expect((await registry.reserve("rot-2", NOW)).name).toBe("p2s-root-g3");
    expect((await registry.list()).map((r) => r.name)).toEqual(["p2s-root", "p2s-root-g2", "p2s-root-g3"]);
  });

  it("moves two roots in one transaction, repeats as a no-op, and refuses what canMoveRoot refuses", async () => {
    const registry = RootRegistry.fromConfig(newConfig());
    await registry.current();
    await registry.reserve("rot-1", NOW);
    const promote = [
      { name: "p2s-root-g2", from: "pending", to: "current", set: { previous: "p2s-root" } },
      { name: "p2s-root", from: "current", to: "retiring" },
    ] as const;
    const moved = await registry.moveTogether(promote, NOW);
    expect(moved.map((r) => [r.name, r.state])).toEqual([
      ["p2s-root-g2", "current"],
      ["p2s-root", "retiring"],
    ]);
    expect(await registry.moveTogether(promote, NOW)).toEqual(moved);
    expect((await registry.current()).name).toBe("p2s-root-g2");
    expect((await registry.get("p2s-root-g2"))?.previous).toBe("p2s-root");
    // A final state never moves back; a move from a state the root is not in is a conflict.
    await registry.move("p2s-root", "retiring", "retired", NOW);
    await expect(registry.move("p2s-root", "retired", "current", NOW)).rejects.toThrow(RootRegistryConflict);
    await expect(registry.move("p2s-root-g2", "pending", "withdrawn", NOW)).rejects.toThrow(/is current, not pending/);
    expect((await registry.get("p2s-root"))?.state).toBe("retired");
  });

  it("moves nothing when one row of a transaction is not where the move starts", async () => {
    const registry = RootRegistry.fromConfig(newConfig());
    await registry.current();
    await registry.reserve("rot-1", NOW);
    await expect(
      registry.moveTogether(
        [
          { name: "p2s-root-g2", from: "pending", to: "current" },
          { name: "p2s-root", from: "retiring", to: "retired" },
        ],
        NOW,
      ),
    ).rejects.toThrow(/is current, not retiring/);
    expect((await registry.list()).map((r) => r.state)).toEqual(["current", "pending"]);
  });

  it("records a root's public data once, and again when Key Vault holds another certificate", async () => {
    const registry = RootRegistry.fromConfig(newConfig());
    await registry.current();
    const recorded = await registry.recordCertificate("p2s-root", fakeRoot("p2s-root", "AA".repeat(20)), NOW);
    expect(recorded).toMatchObject({ thumbprint: "AA".repeat(20), notAfter: "2040-01-01T00:00:00.000Z" });
    expect(await registry.get("p2s-root")).toEqual(recorded);
    const other = await registry.recordCertificate("p2s-root", fakeRoot("p2s-root", "BB".repeat(20)), NOW);
    expect(other.thumbprint).toBe("BB".repeat(20));
  });
});

describe("the ledger as a rotation reads it", () => {
  const OLD = "0A".repeat(20);
  const NEW = "0B".repeat(20);

  function record(upn: string, name: string, rootThumbprint: string | undefined, status = "active"): CertificateRecord {
    return {
      userKey: upn,
      upn,
      certificateName: name,
      status: status as CertificateRecord["status"],
      requestId: name,
      source: "api",
      sourceId: name,
      thumbprint: name.padEnd(40, "0").slice(0, 40),
      ...(rootThumbprint === undefined ? {} : { rootThumbprint }),
      updatedAt: NOW,
    };
  }

  it("pages the users still without a certificate of the new root, and supersedes the old root's", async () => {
    const ledger = Ledger.fromConfig(newConfig());
    const records = [
      record("a@contoso.com", "a1", OLD),
      record("b@contoso.com", "b1", OLD),
      record("b@contoso.com", "b2", NEW),
      record("c@contoso.com", "c1", undefined),
      record("d@contoso.com", "d1", OLD, "revoked"),
      record("e@contoso.com", "e1", OLD),
      record("f@contoso.com", "f1", NEW),
      record("g@contoso.com", "g1", OLD),
    ];
    for (const r of records) await ledger.putCertificate(r);
    const first = await usersToReissue(ledger, NEW, 2);
    expect(first).toEqual({ upns: ["a@contoso.com", "c@contoso.com"], next: "c@contoso.com" });
    const second = await usersToReissue(ledger, NEW, 2, first.next);
    expect(second).toEqual({ upns: ["e@contoso.com", "g@contoso.com"] });
    expect(await usersToReissue(ledger, NEW, 10)).toEqual({
      upns: ["a@contoso.com", "c@contoso.com", "e@contoso.com", "g@contoso.com"],
    });

    // The first root's retirement supersedes its certificates, those older than rootThumbprint too; once.
    expect(await supersedeRootCertificates(ledger, { thumbprint: OLD, first: true }, NOW)).toBe(5);
    expect(await supersedeRootCertificates(ledger, { thumbprint: OLD, first: true }, NOW)).toBe(0);
    const statuses: Record<string, string | undefined> = {};
    for (const r of records)
      statuses[r.certificateName] = (await ledger.getCertificate(r.userKey, r.certificateName))?.status;
    expect(statuses).toEqual({
      a1: "superseded",
      b1: "superseded",
      b2: "active",
      c1: "superseded",
      d1: "revoked",
      e1: "superseded",
      f1: "active",
      g1: "superseded",
    });
    expect(await usersToReissue(ledger, NEW, 10)).toEqual({ upns: [] });
  });
});
