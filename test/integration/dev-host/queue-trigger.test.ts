// The dev host's Storage queue trigger against the run's Azurite with the real @azure/storage-queue client: base64
// text decoded, trigger metadata, retries with dequeueCount, poison after maxDequeueCount, undecodable text poisoned
// untried, host.json batchSize honoured, and the admin API.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { QueueServiceClient } from "@azure/storage-queue";
import type { QueueClient } from "@azure/storage-queue";
import { startHost } from "../../../dev/host/host";
import type { DevHost } from "../../../dev/host/host";
import { concurrency, seen } from "../../fixtures/host-app/queue-app";
import { azuriteConnectionString, uniqueName } from "../../support/azurite";
import { waitFor } from "../../support/wait";

const queueName = uniqueName("jobs");
const lines: string[] = [];
let host: DevHost;
let queue: QueueClient;
let poison: QueueClient;

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

beforeAll(async () => {
  const service = QueueServiceClient.fromConnectionString(azuriteConnectionString());
  queue = service.getQueueClient(queueName);
  poison = service.getQueueClient(`${queueName}-poison`);
  await queue.create();
  host = await startHost({
    appEntry: () => import("../../fixtures/host-app/queue-app"),
    port: 0,
    log: (line) => lines.push(line),
    appSettings: {
      AzureWebJobsStorage: azuriteConnectionString(),
      JOBS_QUEUE: queueName,
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: "00:00:00.200",
      AzureFunctionsJobHost__extensions__queues__batchSize: "4",
    },
  });
});

afterAll(async () => {
  await host.stop();
  await queue.delete();
  await poison.deleteIfExists();
});

beforeEach(() => {
  seen.length = 0;
});

const seenWith = (marker: string): typeof seen =>
  seen.filter((entry) => (entry.value as { marker?: unknown } | null)?.marker === marker);

async function poisonTexts(): Promise<string[]> {
  if (!(await poison.exists())) return [];
  const peeked = await poison.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => Buffer.from(m.messageText, "base64").toString("utf8"));
}

it("decodes base64 text, passes the JSON and the trigger metadata, and deletes the message", async () => {
  const sent = await queue.sendMessage(base64(JSON.stringify({ marker: "plain", n: 1 })));
  await waitFor(() => seenWith("plain").length === 1, { message: "the plain message to be delivered" });
  const [entry] = seenWith("plain");
  expect(entry?.value).toEqual({ marker: "plain", n: 1 });
  expect(entry?.triggerMetadata).toMatchObject({ dequeueCount: 1, id: sent.messageId });
  expect(typeof entry?.triggerMetadata?.insertionTime).toBe("string");
  expect(entry?.triggerMetadata?.queueTrigger).toEqual({ marker: "plain", n: 1 });
  await waitFor(async () => (await queue.getProperties()).approximateMessagesCount === 0, {
    message: "the completed message to be deleted",
  });
});

it("retries a failing message with a growing dequeueCount until it succeeds", async () => {
  await queue.sendMessage(base64(JSON.stringify({ marker: "twice", fail: 2 })));
  await waitFor(() => seenWith("twice").length === 3, { message: "three tries of the failing message" });
  expect(seenWith("twice").map((entry) => entry.triggerMetadata?.dequeueCount)).toEqual([1, 2, 3]);
  expect(await poisonTexts()).not.toContainEqual(expect.stringContaining('"twice"'));
});

it("moves a message that fails maxDequeueCount (5) times to <queue>-poison, with its text as sent", async () => {
  const text = JSON.stringify({ marker: "never", fail: "always" });
  await queue.sendMessage(base64(text));
  await waitFor(async () => (await poisonTexts()).includes(text), { message: "the failing message to be poisoned" });
  expect(seenWith("never").map((entry) => entry.triggerMetadata?.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
  expect(lines.some((line) => line.includes(`to '${queueName}-poison'`))).toBe(true);
});

it("poisons a message whose text is not base64 without invoking the function", async () => {
  await queue.sendMessage('{"marker":"raw"}');
  await waitFor(async () => (await poison.exists()) && (await poison.peekMessages({ numberOfMessages: 32 })), {
    message: "the poison queue",
  });
  await waitFor(
    async () =>
      (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.some(
        (m) => m.messageText === '{"marker":"raw"}',
      ),
    { message: "the undecodable message in the poison queue" },
  );
  expect(seenWith("raw")).toEqual([]);
});

it("runs messages at once, never more than batchSize + newBatchThreshold (4 + 2 here)", async () => {
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      queue.sendMessage(base64(JSON.stringify({ marker: "batch", i, holdMs: 150 }))),
    ),
  );
  await waitFor(() => seenWith("batch").length === 10 && concurrency.running === 0, {
    message: "ten messages to be delivered",
  });
  expect(seenWith("batch").map((entry) => entry.triggerMetadata?.dequeueCount)).toEqual(Array(10).fill(1));
  expect(concurrency.max).toBeGreaterThan(1);
  expect(concurrency.max).toBeLessThanOrEqual(6);
});

it("lets the admin API invoke the queue function with a message text", async () => {
  const response = await fetch(`${host.url}/admin/functions/queueJobs`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": host.keys.masterKey },
    body: JSON.stringify({ input: JSON.stringify({ marker: "admin" }) }),
  });
  expect(response.status).toBe(202);
  await waitFor(() => seenWith("admin").length === 1, { message: "the admin invocation" });
});
