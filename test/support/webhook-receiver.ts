// A local HTTPS receiver for the alert webhook: serves a certificate of the given CA (the one the app trusts) and
// keeps every request. The certificate can be set after the server listens (the sandbox's CA exists only once the
// sandbox has started, and the sandbox needs the URL at start).
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** The status the next requests are answered with (default 200). */
  answerWith(status: number): void;
  useCertificate(tls: { readonly cert: string; readonly key: string }): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(tls?: {
  readonly cert: string;
  readonly key: string;
}): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  let status = 200;
  const server: Server = createServer(tls ?? {}, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // kept as text
      }
      if (status >= 200 && status < 300) received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}/hooks/alerts`,
    received,
    answerWith: (s) => {
      status = s;
    },
    useCertificate: (t) => {
      server.setSecureContext({ cert: t.cert, key: t.key });
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
