// The storage fault proxy in front of the test run's Azurite, through the real storage SDKs: a pass-through while
// off; Azure's error shapes (XML for blob and queue, odata JSON for tables) that the SDKs read as the service's error;
// errors after forwarding (the change made, the answer lost); seeded, so the same seed faults the same requests.
import { RestError, TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { startStorageFaultProxy } from "../../../dev/storage-fault-proxy";
import type { StorageFaultProxy } from "../../../dev/storage-fault-proxy";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";

const noRetry = { retryOptions: { maxTries: 1 } };
const tableNoRetry = { retryOptions: { maxRetries: 0 } };

describe("storage fault proxy", () => {
  let proxy: StorageFaultProxy;

  beforeEach(async () => {
    proxy = await startStorageFaultProxy(azuriteConnectionString(), { seed: 11 });
  });

  afterEach(async () => {
    await proxy.stop();
  });

  it("forwards everything while its faults are off", async () => {
    expect(proxy.connectionString).not.toBe(azuriteConnectionString());
    const table = TableClient.fromConnectionString(proxy.connectionString, uniqueName("t"), {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.createEntity({ partitionKey: "p", rowKey: "r", value: 1 });
    expect((await table.getEntity<{ value: number }>("p", "r")).value).toBe(1);
    const container = BlobServiceClient.fromConnectionString(proxy.connectionString).getContainerClient(
      uniqueName("c"),
    );
    await container.create();
    await container.getBlockBlobClient("b").upload("bytes", 5);
    expect((await container.getBlockBlobClient("b").downloadToBuffer()).toString()).toBe("bytes");
    expect(proxy.counts()).toMatchObject({ delayed: 0, errors: {} });
    expect(proxy.counts().forwarded).toBeGreaterThanOrEqual(5);
  });

  it("answers ServerBusy in each service's own shape, which the SDKs read as the service's error", async () => {
    proxy.configure({ errors: [{ status: 503, code: "ServerBusy", probability: 1 }] });
    const table = TableClient.fromConnectionString(proxy.connectionString, uniqueName("t"), {
      allowInsecureConnection: true,
      ...tableNoRetry,
    });
    const tableError = await table.createTable().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(tableError).toBeInstanceOf(RestError);
    // The tables SDK keeps a table error's code where Azure's odata.error puts it, not in RestError.code.
    expect(tableError).toMatchObject({
      statusCode: 503,
      response: { parsedBody: { odataError: { code: "ServerBusy" } } },
    });

    const queue = new QueueClient(proxy.connectionString, uniqueName("q"), noRetry);
    await expect(queue.create()).rejects.toMatchObject({ statusCode: 503, code: "ServerBusy" });
    const blob = BlobServiceClient.fromConnectionString(proxy.connectionString, noRetry);
    await expect(blob.getContainerClient(uniqueName("c")).create()).rejects.toMatchObject({
      statusCode: 503,
      code: "ServerBusy",
    });
    expect(proxy.counts().errors).toEqual({ "503 ServerBusy": 3 });
    expect(proxy.counts().forwarded).toBe(0);
  });

  it("makes the change and loses only its answer when the error comes after forwarding", async () => {
    const name = uniqueName("t");
    proxy.configure({ errors: [{ status: 500, code: "OperationTimedOut", probability: 1, afterForwarding: true }] });
    const table = TableClient.fromConnectionString(proxy.connectionString, name, {
      allowInsecureConnection: true,
      ...tableNoRetry,
    });
    await expect(table.createTable()).rejects.toMatchObject({
      statusCode: 500,
      response: { parsedBody: { odataError: { code: "OperationTimedOut" } } },
    });
    proxy.configure(undefined);
    const direct = TableClient.fromConnectionString(azuriteConnectionString(), name, { allowInsecureConnection: true });
    await direct.createEntity({ partitionKey: "p", rowKey: "r" });
    expect((await direct.getEntity("p", "r")).rowKey).toBe("r");
    expect(proxy.counts().errors).toEqual({ "500 OperationTimedOut after": 1 });
  });

  it("faults only the requests a fault's match finds: the inserts into one table, not its reads nor other tables", async () => {
    const name = uniqueName("t");
    const other = uniqueName("t");
    const client = (table: string): TableClient =>
      TableClient.fromConnectionString(proxy.connectionString, table, {
        allowInsecureConnection: true,
        ...tableNoRetry,
      });
    await client(name).createTable();
    await client(other).createTable();
    await client(name).createEntity({ partitionKey: "p", rowKey: "before" });
    proxy.configure({
      errors: [
        {
          status: 503,
          code: "ServerBusy",
          probability: 1,
          match: { method: "POST", path: new RegExp(`/${name}(\\?|$)`) },
        },
      ],
    });
    await expect(client(name).createEntity({ partitionKey: "p", rowKey: "r" })).rejects.toMatchObject({
      statusCode: 503,
    });
    expect((await client(name).getEntity("p", "before")).rowKey).toBe("before");
    await client(other).createEntity({ partitionKey: "p", rowKey: "r" });
    expect(proxy.counts().errors).toEqual({ "503 ServerBusy": 1 });
  });

  it("faults the same requests for the same seed, and lets the SDK's retries through", async () => {
    const pattern = async (): Promise<boolean[]> => {
      const seeded = await startStorageFaultProxy(azuriteConnectionString(), { seed: 5 });
      try {
        seeded.configure({ errors: [{ status: 503, code: "ServerBusy", probability: 0.5 }], services: ["queue"] });
        const queue = new QueueClient(seeded.connectionString, uniqueName("q"), noRetry);
        const outcomes: boolean[] = [];
        for (let i = 0; i < 12; i++)
          outcomes.push(
            await queue.exists().then(
              () => true,
              () => false,
            ),
          );
        return outcomes;
      } finally {
        await seeded.stop();
      }
    };
    const first = await pattern();
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(await pattern()).toEqual(first);

    proxy.configure({
      errors: [{ status: 503, code: "ServerBusy", probability: 0.5 }],
      latencyProbability: 1,
      latencyMs: 5,
    });
    const retried = new QueueClient(proxy.connectionString, uniqueName("q"), {
      retryOptions: { maxTries: 10, retryDelayInMs: 1, maxRetryDelayInMs: 2 },
    });
    await retried.create();
    expect(await retried.exists()).toBe(true);
    expect(proxy.counts().delayed).toBeGreaterThanOrEqual(2);
  });
});
