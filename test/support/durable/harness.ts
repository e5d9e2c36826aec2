// A durable backend wired to the fake invoker, a virtual clock and a real HTTP listener, so durable-functions'
// DurableClient talks to it over the wire exactly as it talks to the extension.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { createDurableBackend } from "../../../dev/durable";
import type { LocalDurableBackend } from "../../../dev/durable";
import { createVirtualClock } from "../../../dev/host/clock";
import type { LocalDurableBackendOptions } from "../../../dev/durable/backend";
import type { ManualClock } from "../../../dev/host/clock";
import { FakeInvoker } from "./fake-invoker";

export interface DurableHarness {
  readonly backend: LocalDurableBackend;
  readonly clock: ManualClock;
  readonly invoker: FakeInvoker;
  readonly client: DurableClient;
  readonly baseUrl: string;
  readonly logs: string[];
  close(): Promise<void>;
}

/** 2030-01-01T00:00:00Z: a fixed start keeps timestamps readable in failures. */
export const HARNESS_START_MS = Date.UTC(2030, 0, 1);

function headerValues(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  return flat;
}

function listen(backend: () => LocalDurableBackend): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      backend()
        .handleHttp({
          method: request.method ?? "GET",
          url: request.url ?? "/",
          headers: headerValues(request.headers),
          body: Buffer.concat(chunks),
        })
        .then(
          (reply) => {
            response.writeHead(reply.status, reply.headers);
            response.end(reply.body);
          },
          (error: unknown) => {
            response.writeHead(500);
            response.end(String(error));
          },
        );
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve(server);
    });
  });
}

/** A DurableClient built the way a function gets one: from the durableClient input binding value. */
export function durableClientFor(backend: LocalDurableBackend): DurableClient {
  const input = df.input.durableClient();
  const context = new InvocationContext({ options: { extraInputs: [input] } });
  context.extraInputs.set(input, backend.clientBindingData());
  return df.getClient(context);
}

export async function startDurableHarness(
  options: Pick<LocalDurableBackendOptions, "atLeastOnce" | "afterEffectFailures"> = {},
): Promise<DurableHarness> {
  const clock = createVirtualClock(HARNESS_START_MS);
  const invoker = new FakeInvoker();
  const logs: string[] = [];
  // The listener needs the backend and the backend needs the listener's address.
  const holder: { backend?: LocalDurableBackend } = {};
  const server = await listen(() => {
    if (holder.backend === undefined) throw new Error("backend not ready");
    return holder.backend;
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const created = createDurableBackend({
    invoker,
    clock,
    taskHubName: "TestHub",
    baseUrl: () => baseUrl,
    log: (line) => logs.push(line),
    ...options,
  });
  holder.backend = created;
  invoker.clientData = () => created.clientBindingData();
  return {
    backend: created,
    clock,
    invoker,
    client: durableClientFor(created),
    baseUrl,
    logs,
    async close() {
      await created.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      });
    },
  };
}
