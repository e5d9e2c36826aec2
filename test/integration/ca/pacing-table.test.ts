// The shared pacer's table against Azurite through the real SDK: times read back as written, a slot write that lost
// the race (created or changed meanwhile) answers undefined, waiter rows come and go, and vaults do not mix.
import { TableClient } from "@azure/data-tables";
import { TablePacingStore } from "../../../src/clients/create-pacing-table";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

const VAULT = "https://127.0.0.1:8443";

function table(name: string): TableClient {
  return TableClient.fromConnectionString(azuriteConnectionString(), name, { allowInsecureConnection: true });
}

describe("TablePacingStore", () => {
  it("writes slots only as read (ETags), reads back times to the millisecond, and keeps waiters", async () => {
    const name = uniqueName("pacing");
    const store = new TablePacingStore(table(name), VAULT);
    const other = new TablePacingStore(table(name), VAULT);
    const until = Date.UTC(2026, 11, 6, 19, 0, 0, 123);
    const etag = await store.write(0, { until, owner: "a", inFlight: true }, undefined);
    expect(etag).toEqual(expect.any(String));
    // Created meanwhile by another instance, and changed meanwhile: both lose.
    expect(await other.write(0, { until: 1, owner: "b", inFlight: true }, undefined)).toBeUndefined();
    const next = await store.write(0, { until: until + 10_200, owner: "a", inFlight: false }, etag);
    expect(next).toEqual(expect.any(String));
    expect(await other.write(0, { until: 1, owner: "b", inFlight: true }, etag)).toBeUndefined();

    await other.setWaiter("b", until - 5_000, until + 5_000);
    const state = await store.read();
    expect(state.slots).toEqual([{ index: 0, until: until + 10_200, owner: "a", inFlight: false, etag: next }]);
    expect(state.waiters).toEqual([{ owner: "b", since: until - 5_000, expires: until + 5_000 }]);
    await other.clearWaiter("b");
    await other.clearWaiter("b");
    expect((await store.read()).waiters).toEqual([]);
    // Another vault's budget is a partition of its own.
    expect((await new TablePacingStore(table(name), "https://127.0.0.1:9443").read()).slots).toEqual([]);
  });
});
