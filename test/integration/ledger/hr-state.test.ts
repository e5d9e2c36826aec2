// The HR events table on Azurite: handled events, and the per-user claim with optimistic concurrency, so of two
// events about one user read at the same time only one can claim the user.
import { TableClient } from "@azure/data-tables";
import { HrStateConflictError, HrStateTable } from "../../../src/clients/hr-state";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

let table: TableClient;
let hr: HrStateTable;

beforeAll(() => {
  table = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName("hr"), {
    allowInsecureConnection: true,
  });
  hr = new HrStateTable(table);
});

afterAll(async () => {
  await table.deleteTable();
});

it("remembers how an event was handled", async () => {
  expect(await hr.handled("E-1")).toBeUndefined();
  await hr.markHandled("E-1", { upn: "ada@contoso.com", type: "hire", outcome: "applied" });
  expect(await hr.handled("E-1")).toBe("applied");
});

it("lets one of two events read at the same time claim the user, the other fails to be retried", async () => {
  const before = await hr.userState("bob@contoso.com");
  expect(before).toEqual({});
  const first = { eventId: "E-2", type: "hire" as const, occurredAt: "2030-01-01T00:00:00.000Z" };
  const second = { eventId: "E-3", type: "termination" as const, occurredAt: "2030-01-02T00:00:00.000Z" };
  const at = new Date("2030-01-03T00:00:00.000Z");
  await hr.claim("bob@contoso.com", first, before, at);
  await expect(hr.claim("bob@contoso.com", second, before, at)).rejects.toBeInstanceOf(HrStateConflictError);

  const read = await hr.userState("bob@contoso.com");
  expect(read.state).toEqual(first);
  // The claim's time is kept: a retry or a duplicate of the same event dates its audit by it.
  expect(read.claimedAt).toBe(at.toISOString());
  await hr.claim("bob@contoso.com", second, read, at);
  await expect(hr.claim("bob@contoso.com", first, read, at)).rejects.toThrow(/another HR event about bob@contoso.com/);
  expect((await hr.userState("bob@contoso.com")).state).toEqual(second);
});

it("refuses a row it cannot read rather than guess", async () => {
  await table.upsertEntity({
    partitionKey: "user",
    rowKey: "eve@contoso.com",
    eventId: "X",
    type: "bogus",
    occurredAt: "",
  });
  await expect(hr.userState("eve@contoso.com")).rejects.toThrow(/unknown HR event type 'bogus'/);
});
