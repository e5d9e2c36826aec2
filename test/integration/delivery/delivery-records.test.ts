// The deliveries table on Azurite through the real Tables SDK: a delivery is opened once (a repeat keeps it), and
// every change of state is conditional on the row read, so of two readers that saw the same row only one moves it.
import { TableClient } from "@azure/data-tables";
import { DeliveryTable } from "../../../src/clients/delivery-records";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

const requestId = "0123456789abcdef0123456789abcdef";
let table: DeliveryTable;

beforeAll(() => {
  const client = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName("deliveries"), {
    allowInsecureConnection: true,
  });
  table = new DeliveryTable(client);
});

const delivery = {
  requestId,
  instanceId: "parent:delivery",
  upn: "alice@contoso.com",
  certificateName: "p2s-user-alice",
  thumbprint: "A".repeat(40),
  notAfter: new Date("2027-12-06T00:00:00Z"),
  linkExpiresAt: new Date("2026-12-09T00:00:00Z"),
};

describe("DeliveryTable", () => {
  it("opens once: a repeat keeps the first row and its state", async () => {
    await table.open(delivery);
    const first = await table.get(requestId);
    expect(first).toMatchObject({ ...delivery, state: "ready" });
    await table.open({ ...delivery, instanceId: "other" });
    expect((await table.get(requestId))?.instanceId).toBe("parent:delivery");
  });

  it("lets exactly one of two readers of the same row collect it", async () => {
    const seenByA = await table.get(requestId);
    const seenByB = await table.get(requestId);
    if (seenByA === undefined || seenByB === undefined) throw new Error("the delivery is not recorded");
    const now = new Date();
    const results = await Promise.all([
      table.transition(seenByA, { state: "collected", collectedAt: now, collectedBy: "a", downloadTokenHash: "1" }),
      table.transition(seenByB, { state: "collected", collectedAt: now, collectedBy: "b", downloadTokenHash: "2" }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const after = await table.get(requestId);
    expect(after?.state).toBe("collected");
    expect(after?.collectedBy).toBe(results[0] ? "a" : "b");
    // A stale read can move it no further.
    expect(await table.transition(seenByA, { state: "downloaded", downloadedAt: now })).toBe(false);
    expect(await table.get("ffffffffffffffffffffffffffffffff")).toBeUndefined();
  });
});
