// hrEvents as the host sees it: a queueTrigger on %HR_EVENTS_QUEUE% with a durable client, and the last try it
// alerts on is the host's maxDequeueCount in host.json.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../support/durable/fake-invoker")>("../support/durable/fake-invoker").coreStandin,
  { virtual: true },
);

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HR_MAX_DEQUEUE_COUNT } from "../../src/functions/hr-events";
import { FakeInvoker } from "../support/durable/fake-invoker";

it("alerts on the try after which host.json's maxDequeueCount poisons the message", () => {
  const hostJson = JSON.parse(readFileSync(join(__dirname, "..", "..", "host.json"), "utf8")) as {
    extensions: { queues: { maxDequeueCount: number; messageEncoding: string } };
  };
  expect(hostJson.extensions.queues.maxDequeueCount).toBe(HR_MAX_DEQUEUE_COUNT);
  expect(hostJson.extensions.queues.messageEncoding).toBe("base64");
});

it("registers hrEvents as a queue trigger on %HR_EVENTS_QUEUE% with a durable client", () => {
  const registered = new FakeInvoker().functions().find((fn) => fn.name === "hrEvents");
  expect(registered?.trigger).toMatchObject({
    type: "queueTrigger",
    queueName: "%HR_EVENTS_QUEUE%",
    connection: "AzureWebJobsStorage",
  });
  expect(Object.values(registered?.metadata.bindings ?? {}).map((b) => b.type)).toContain("durableClient");
});
