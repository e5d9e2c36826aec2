// The storage wrappers reach Azurite through the real SDKs (tables for the ledger, blobs for profiles).
import { parseConfig } from "../../src/config";
import { blobServiceClient, tableClient } from "../../src/clients/storage";
import { azuriteConnectionString, uniqueName } from "../support/azurite";
import { baseEnv } from "../support/env";

const config = () => parseConfig(baseEnv({ AzureWebJobsStorage: azuriteConnectionString() }));

describe("storage clients against Azurite", () => {
  it("round-trips a table entity with @azure/data-tables", async () => {
    const table = tableClient(config(), uniqueName("t"));
    await table.createTable();
    await table.createEntity({ partitionKey: "user@contoso.com", rowKey: "ABC", status: "active" });
    const entity = await table.getEntity<{ status: string }>("user@contoso.com", "ABC");
    expect(entity.status).toBe("active");
    await expect(table.createEntity({ partitionKey: "user@contoso.com", rowKey: "ABC" })).rejects.toMatchObject({
      statusCode: 409,
    });
  });

  it("round-trips a blob with @azure/storage-blob", async () => {
    const container = blobServiceClient(config()).getContainerClient(uniqueName("c"));
    await container.create();
    const blob = container.getBlockBlobClient("profile.zip");
    await blob.upload("zip-bytes", 9);
    expect((await blob.downloadToBuffer()).toString()).toBe("zip-bytes");
  });
});
