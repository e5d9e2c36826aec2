// The requests table through the real Tables SDK against Azurite: written once, the first record stands.
import { parseConfig } from "../../../src/config";
import { Ledger } from "../../../src/clients/ledger";
import { publicRequestId } from "../../../src/domain/requests";
import type { RequestRecord } from "../../../src/domain/requests";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { baseEnv } from "../../support/env";

function newLedger(): Ledger {
  const prefix = uniqueName("r").replace(/[^a-z0-9]/g, "");
  return Ledger.fromConfig(
    parseConfig(baseEnv({ AzureWebJobsStorage: azuriteConnectionString(), LEDGER_TABLE_PREFIX: prefix })),
  );
}

const record: RequestRecord = {
  requestId: publicRequestId("issue-p2s-user-ada"),
  instanceId: "issue-p2s-user-ada",
  kind: "issue",
  upn: "ada@contoso.com",
  submittedBy: "user:ada@contoso.com oid=1",
  submitterObjectId: "00000000-0000-0000-0000-000000000001",
  createdAt: new Date("2030-01-01T10:00:00.000Z"),
};

describe("the ledger's requests", () => {
  it("reads back what was recorded, and nothing for an unknown id", async () => {
    const ledger = newLedger();
    expect(await ledger.recordRequest(record)).toEqual(record);
    expect(await ledger.getRequest(record.requestId)).toEqual(record);
    expect(await ledger.getRequest(publicRequestId("other"))).toBeUndefined();
  });

  it("keeps the first submitter and time when the same request is recorded again, even at once", async () => {
    const ledger = newLedger();
    const later = {
      ...record,
      submittedBy: "app:Ticketing",
      submitterObjectId: "00000000-0000-0000-0000-000000000002",
      createdAt: new Date("2030-01-01T11:00:00.000Z"),
    };
    const [a, b] = await Promise.all([ledger.recordRequest(record), ledger.recordRequest(later)]);
    const stored = await ledger.getRequest(record.requestId);
    expect([a, b]).toEqual([stored, stored]);
    expect(await ledger.recordRequest(later)).toEqual(stored);
    const { submitterObjectId: _, ...withoutObjectId } = record;
    const anonymous = newLedger();
    await anonymous.recordRequest({ ...withoutObjectId, submittedBy: "api:function-key" });
    expect(await anonymous.getRequest(record.requestId)).not.toHaveProperty("submitterObjectId");
  });
});
