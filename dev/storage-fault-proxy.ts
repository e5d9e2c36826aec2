// A small seeded fault proxy in front of Azurite (blob, queue and table over http): it forwards every request as is
// and, at seeded rates, answers Azure Storage's own errors instead (503 ServerBusy, 500 InternalError or
// OperationTimedOut, in the XML shape of blob and queue or the JSON shape of tables), before forwarding (nothing
// changed) or after it (the change made, only its answer lost), or delays the request. Local tooling for chaos runs:
// off (a plain pass-through) until faults are configured. Never deployed.
import { randomUUID } from "node:crypto";
import { createServer, request } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./emulators/framework";

export type StorageService = "blob" | "queue" | "table";

/** One kind of storage fault: an error answer with a chance per request, or a delay. */
export interface StorageErrorFault {
  readonly status: 500 | 503;
  /** Azure Storage's error code: ServerBusy (503), InternalError or OperationTimedOut (500). */
  readonly code: "ServerBusy" | "InternalError" | "OperationTimedOut";
  /** Chance per request, 0..1. */
  readonly probability: number;
  /** Forward first and replace the answer (the change is made): the harsher case for the app's idempotency. */
  readonly afterForwarding?: boolean;
  /**
   * Only requests with this method and a path (account and resource, with the query) this pattern finds, e.g. the
   * inserts into one table: a test faults one exact call. Default every request.
   */
  readonly match?: { readonly method?: string; readonly path?: RegExp };
}

export interface StorageFaults {
  readonly errors?: readonly StorageErrorFault[];
  /** Chance per request of a delay of `latencyMs`. */
  readonly latencyProbability?: number;
  readonly latencyMs?: number;
  /** Services faulted (default all three). */
  readonly services?: readonly StorageService[];
}

/** What the proxy did, per kind. */
export interface StorageFaultCounts {
  readonly forwarded: number;
  readonly delayed: number;
  /** Injected errors by `<status> <code>[ after]`. */
  readonly errors: Readonly<Record<string, number>>;
}

export interface StorageFaultProxy {
  /** The same account's connection string, every endpoint pointing at the proxy. */
  readonly connectionString: string;
  /** Replaces the faults (undefined or {} turns them off); the seeded sequence goes on. */
  configure(faults: StorageFaults | undefined): void;
  counts(): StorageFaultCounts;
  stop(): Promise<void>;
}

const MESSAGES: Record<StorageErrorFault["code"], string> = {
  ServerBusy: "The server is currently unable to receive requests. Please retry your request.",
  InternalError: "The server encountered an internal error. Please retry the request.",
  OperationTimedOut: "Operation could not be completed within the specified time.",
};

const ENDPOINT_KEYS: Record<StorageService, string> = {
  blob: "BlobEndpoint",
  queue: "QueueEndpoint",
  table: "TableEndpoint",
};

/** Starts one proxy per http endpoint of `connectionString` (Azurite's), with the faults off. */
export async function startStorageFaultProxy(
  connectionString: string,
  options: { readonly seed: number; readonly log?: (line: string) => void },
): Promise<StorageFaultProxy> {
  const random = seededRandom(options.seed);
  let faults: StorageFaults = {};
  let forwarded = 0;
  let delayed = 0;
  const errors: Record<string, number> = {};
  const parts = connectionString.split(";").filter((part) => part !== "");
  const servers: Server[] = [];
  const rewritten: string[] = [];

  const decide = (
    service: StorageService,
    incoming: IncomingMessage,
  ): { delayMs: number; error?: StorageErrorFault } => {
    if (!(faults.services ?? ["blob", "queue", "table"]).includes(service)) return { delayMs: 0 };
    // Every roll is drawn whatever the outcome, so one request's decision never shifts the next one's.
    const delayRoll = random();
    const delayMs = delayRoll < (faults.latencyProbability ?? 0) ? (faults.latencyMs ?? 0) : 0;
    for (const error of faults.errors ?? []) {
      if (random() < error.probability && matches(error, incoming)) return { delayMs, error };
    }
    return { delayMs };
  };

  try {
    for (const part of parts) {
      const service = (Object.keys(ENDPOINT_KEYS) as StorageService[]).find((s) =>
        part.startsWith(`${ENDPOINT_KEYS[s]}=`),
      );
      if (service === undefined) {
        rewritten.push(part);
        continue;
      }
      const target = new URL(part.slice(ENDPOINT_KEYS[service].length + 1));
      if (target.protocol !== "http:")
        throw new Error(`the storage fault proxy forwards http only, not ${target.href}`);
      const server = createServer((incoming, outgoing) => {
        const { delayMs, error } = decide(service, incoming);
        const go = (): void => {
          if (error !== undefined && error.afterForwarding !== true) {
            count(error);
            incoming.resume();
            answerError(service, outgoing, error);
            return;
          }
          forward(
            incoming,
            outgoing,
            target,
            error === undefined
              ? undefined
              : () => {
                  count(error);
                  answerError(service, outgoing, error);
                },
          );
        };
        if (delayMs > 0) {
          delayed += 1;
          setTimeout(go, delayMs);
        } else go();
      });
      const count = (error: StorageErrorFault): void => {
        const key = `${String(error.status)} ${error.code}${error.afterForwarding === true ? " after" : ""}`;
        errors[key] = (errors[key] ?? 0) + 1;
        options.log?.(`storage fault: ${service} ${key}`);
      };
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      rewritten.push(`${ENDPOINT_KEYS[service]}=http://127.0.0.1:${String(port)}${target.pathname.replace(/\/$/, "")}`);
    }
  } catch (error) {
    await closeAll(servers);
    throw error;
  }

  function forward(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    target: URL,
    replaceAnswer: (() => void) | undefined,
  ): void {
    forwarded += 1;
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        if (replaceAnswer !== undefined) {
          answer.resume();
          answer.on("end", replaceAnswer);
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", () => {
      outgoing.destroy();
    });
    incoming.pipe(upstream);
  }

  return {
    connectionString: rewritten.join(";"),
    configure(next) {
      faults = next ?? {};
    },
    counts: () => ({ forwarded, delayed, errors: { ...errors } }),
    stop: () => closeAll(servers),
  };
}

function matches(error: StorageErrorFault, incoming: IncomingMessage): boolean {
  const { method, path } = error.match ?? {};
  if (method !== undefined && incoming.method?.toUpperCase() !== method.toUpperCase()) return false;
  return path === undefined || path.test(incoming.url ?? "");
}

/** Storage's error answer: XML for blob and queue, JSON (odata) for tables, the code in x-ms-error-code. */
function answerError(service: StorageService, outgoing: ServerResponse, error: StorageErrorFault): void {
  const requestId = randomUUID();
  const message = `${MESSAGES[error.code]}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  const body =
    service === "table"
      ? JSON.stringify({ "odata.error": { code: error.code, message: { lang: "en-US", value: message } } })
      : `<?xml version="1.0" encoding="utf-8"?><Error><Code>${error.code}</Code><Message>${message}</Message></Error>`;
  outgoing.writeHead(error.status, {
    "content-type": service === "table" ? "application/json;odata=minimalmetadata" : "application/xml",
    "x-ms-error-code": error.code,
    "x-ms-request-id": requestId,
    "content-length": String(Buffer.byteLength(body)),
  });
  outgoing.end(body);
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeAllConnections();
        }),
    ),
  );
}
