// The root registry's rules over an in-memory table: the first root registered when empty, the signing root, the
// next generation reserved once per rotation even under a race, moves refused as canMoveRoot refuses them, ETag
// races re-read and re-judged, and a transaction that moves all its roots or none.
import { RootRegistry, RootRegistryConflict } from "../../../src/clients/root-registry";
import { MemoryTable } from "./memory-table";

const NOW = new Date("2030-01-01T10:00:00.000Z");
const CONFIG = { CA_ROOT_NAME: "p2s-root", CA_ROOT_SUBJECT: "CN=P2S Root CA, O=Contoso" };

function setUp(): { table: MemoryTable; registry: RootRegistry } {
  const table = new MemoryTable();
  return { table, registry: new RootRegistry(table.asClient(), CONFIG) };
}

async function states(registry: RootRegistry): Promise<string[]> {
  return (await registry.list()).map((r) => `${r.name}:${r.state}`);
}

describe("the first root", () => {
  it("is CA_ROOT_NAME, registered as current on first use, once", async () => {
    const { table, registry } = setUp();
    expect(await registry.current()).toMatchObject({ name: "p2s-root", state: "current", generation: 1 });
    expect(await registry.list()).toHaveLength(1);
    expect(table.rows.size).toBe(1);
    expect((await registry.current()).subject).toBeUndefined();
  });
});

describe("current", () => {
  it("is the newest generation in state current", async () => {
    const { table, registry } = setUp();
    await registry.reserve("rot-1", NOW);
    table.change("roots", "p2s-root-g2", { state: "current" });
    expect((await registry.current()).name).toBe("p2s-root-g2");
  });

  it("is a conflict when no root is current", async () => {
    const { table, registry } = setUp();
    await registry.list();
    table.change("roots", "p2s-root", { state: "retiring" });
    await expect(registry.current()).rejects.toThrow(new RootRegistryConflict("the root registry has no current root"));
  });
});

describe("reserve", () => {
  it("gives each rotation its own next generation, also when two race", async () => {
    const { registry } = setUp();
    const [a, b] = await Promise.all([registry.reserve("rot-a", NOW), registry.reserve("rot-b", NOW)]);
    expect([a.name, b.name].sort()).toEqual(["p2s-root-g2", "p2s-root-g3"]);
    expect(a.subject).toBe(`CN=P2S Root CA G${a.generation}, O=Contoso`);
    expect(a.state).toBe("pending");
  });

  it("answers the same row to a repeat of one rotation, also when the repeats race", async () => {
    const { registry } = setUp();
    const [a, b] = await Promise.all([registry.reserve("rot-a", NOW), registry.reserve("rot-a", NOW)]);
    expect(b).toEqual(a);
    expect(await registry.reserve("rot-a", new Date(NOW.getTime() + 1000))).toEqual(a);
    expect(await registry.list()).toHaveLength(2);
  });
});

describe("moves", () => {
  it.each([
    ["current", "pending"],
    ["pending", "retired"],
    ["pending", "retiring"],
    ["retired", "current"],
    ["withdrawn", "pending"],
  ] as const)("refuses %s -> %s", async (from, to) => {
    const { table, registry } = setUp();
    await registry.reserve("rot-1", NOW);
    table.change("roots", "p2s-root-g2", { state: from });
    const writes = table.writes;
    await expect(registry.move("p2s-root-g2", from, to, NOW)).rejects.toThrow(RootRegistryConflict);
    expect(table.writes).toBe(writes);
  });

  it("refuses a root that is not where the move starts, and one not registered", async () => {
    const { registry } = setUp();
    await registry.reserve("rot-1", NOW);
    await expect(registry.move("p2s-root-g2", "retiring", "retired", NOW)).rejects.toThrow(
      /root p2s-root-g2 is pending, not retiring/,
    );
    await expect(registry.move("p2s-other", "pending", "current", NOW)).rejects.toThrow(/not in the registry/);
  });

  it("is a no-op when repeated", async () => {
    const { table, registry } = setUp();
    await registry.reserve("rot-1", NOW);
    const moved = await registry.move("p2s-root-g2", "pending", "withdrawn", NOW);
    const writes = table.writes;
    expect(await registry.move("p2s-root-g2", "pending", "withdrawn", new Date(NOW.getTime() + 5))).toEqual(moved);
    expect(table.writes).toBe(writes);
  });

  it("re-reads after an ETag race and judges again: work already done is a no-op, a changed state a conflict", async () => {
    const { table, registry } = setUp();
    await registry.reserve("rot-1", NOW);
    await registry.reserve("rot-2", NOW);
    table.beforeWrite = () => {
      table.change("roots", "p2s-root-g2", { state: "withdrawn" });
    };
    expect((await registry.move("p2s-root-g2", "pending", "withdrawn", NOW)).state).toBe("withdrawn");
    table.beforeWrite = () => {
      table.change("roots", "p2s-root-g3", { state: "withdrawn" });
    };
    await expect(registry.move("p2s-root-g3", "pending", "current", NOW)).rejects.toThrow(/is withdrawn, not pending/);
    expect(await states(registry)).toEqual(["p2s-root:current", "p2s-root-g2:withdrawn", "p2s-root-g3:withdrawn"]);
  });

  it("moves every root of a transaction or none", async () => {
    const { table, registry } = setUp();
    await registry.reserve("rot-1", NOW);
    const promote = [
      { name: "p2s-root-g2", from: "pending", to: "current", set: { previous: "p2s-root" } },
      { name: "p2s-root", from: "current", to: "retiring" },
    ] as const;
    // Another writer moves the old root between the read and the transaction: nothing moves, the retry refuses.
    table.beforeWrite = () => {
      table.change("roots", "p2s-root", { state: "retired" });
    };
    await expect(registry.moveTogether(promote, NOW)).rejects.toThrow(/p2s-root is retired, not current/);
    expect(await states(registry)).toEqual(["p2s-root:retired", "p2s-root-g2:pending"]);
    // Moved there meanwhile by another writer: the retry finds that part done and makes the rest.
    table.change("roots", "p2s-root", { state: "current" });
    table.beforeWrite = () => {
      table.change("roots", "p2s-root", { state: "retiring" });
    };
    await registry.moveTogether(promote, NOW);
    expect(await states(registry)).toEqual(["p2s-root:retiring", "p2s-root-g2:current"]);
  });

  it("promotes in one write: the new root current, the old retiring, and the predecessor kept", async () => {
    const { table, registry } = setUp();
    await registry.reserve("rot-1", NOW);
    const writes = table.writes;
    await registry.moveTogether(
      [
        { name: "p2s-root-g2", from: "pending", to: "current", set: { previous: "p2s-root" } },
        { name: "p2s-root", from: "current", to: "retiring" },
      ],
      NOW,
    );
    expect(table.writes).toBe(writes + 1);
    expect(await states(registry)).toEqual(["p2s-root:retiring", "p2s-root-g2:current"]);
    expect((await registry.current()).previous).toBe("p2s-root");
  });
});
