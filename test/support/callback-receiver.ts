// A ticketing system's callback endpoint for tests: HTTPS on loopback with a certificate from the test's emulator CA,
// recording every request it gets and answering from a script (200 once the script is used up).
import { createServer } from "node:https";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmulatorCa } from "../../dev/emulators/framework";

export interface ReceivedCallback {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  readonly at: number;
}

/** How the receiver answers one request. `hang` never answers; `bodyBytes` streams that many bytes of body. */
export interface ScriptedAnswer {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly hang?: boolean;
  readonly bodyBytes?: number;
}

export interface CallbackReceiver {
  /** https://127.0.0.1:<port> (or the host it was asked to listen on). */
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedCallback[];
  /** Answers for the next requests, in order. */
  script(...answers: ScriptedAnswer[]): void;
  /** How to answer once the script is used up (default 200). */
  answerWith(answerer: (request: ReceivedCallback) => ScriptedAnswer): void;
  /** Bytes of body the receiver managed to write before each streamed answer's connection closed. */
  readonly streamedBytes: number[];
  stop(): Promise<void>;
}

export async function startCallbackReceiver(
  ca: EmulatorCa,
  options: { host?: string; now?: () => number } = {},
): Promise<CallbackReceiver> {
  const host = options.host ?? "127.0.0.1";
  const now = options.now ?? Date.now;
  const received: ReceivedCallback[] = [];
  const streamedBytes: number[] = [];
  const answers: ScriptedAnswer[] = [];
  let answerer = (_request: ReceivedCallback): ScriptedAnswer => ({});
  const server = createServer(ca.serverTlsOptions(), (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: ReceivedCallback = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        at: now(),
      };
      received.push(request);
      answer(res, answers.shift() ?? answerer(request), streamedBytes);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `https://${shown}:${String(port)}`,
    port,
    received,
    streamedBytes,
    script: (...next) => {
      answers.push(...next);
    },
    answerWith: (next) => {
      answerer = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function answer(res: ServerResponse, scripted: ScriptedAnswer, streamedBytes: number[]): void {
  if (scripted.hang === true) return;
  res.writeHead(scripted.status ?? 200, { "content-type": "text/plain", ...scripted.headers });
  const total = scripted.bodyBytes ?? 0;
  if (total === 0) {
    res.end("ok");
    return;
  }
  // Streams until the whole body is written or the client goes away, and records how far it got.
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  const index = streamedBytes.push(0) - 1;
  const pump = (): void => {
    while (written < total && !res.destroyed) {
      written += chunk.length;
      streamedBytes[index] = written;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on("close", () => {
    streamedBytes[index] = written;
  });
  pump();
}
