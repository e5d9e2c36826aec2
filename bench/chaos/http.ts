// The chaos run's HTTP calls to the sandbox: the app's API with the admin token or a user's, signed tickets, and a
// plain https GET that trusts the emulator CA (the delivery link's storage).
import { request } from "node:https";
import { signedHeaders } from "../../src/domain/request-signature";
import type { Sandbox } from "../../dev/sandbox/sandbox";

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown>;
  readonly location?: string;
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = text === "" ? {} : JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  const location = response.headers.get("location");
  return { status: response.status, text, json: parse(text), ...(location === null ? {} : { location }) };
}

export class SandboxApi {
  constructor(private readonly sandbox: Sandbox) {}

  /** A call with the function key and the admin app's token (every role). */
  async admin(method: string, path: string, body?: unknown): Promise<Answer> {
    const { host, functionKey, adminToken } = this.sandbox.endpoints;
    return answerOf(
      await fetch(`${host}${path}`, {
        method,
        headers: {
          "x-functions-key": functionKey,
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  }

  /** A ticket, signed as the ticketing system signs it. */
  async ticket(body: Record<string, unknown>): Promise<Answer> {
    const { host, functionKey, ticketSecret } = this.sandbox.endpoints;
    const raw = JSON.stringify(body);
    return answerOf(
      await fetch(`${host}/api/v1/requests`, {
        method: "POST",
        headers: {
          "x-functions-key": functionKey,
          "content-type": "application/json",
          ...signedHeaders(ticketSecret, raw, Date.now()),
        },
        body: raw,
      }),
    );
  }

  /** A call with a user's own delegated token (self-service). */
  async asUser(upn: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const token = await this.sandbox.identity.controls.userToken(upn);
    return answerOf(
      await fetch(`${this.sandbox.endpoints.host}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  }

  /** An anonymous GET that does not follow redirects (the one-time delivery link). */
  async anonymous(url: string): Promise<Answer> {
    return answerOf(await fetch(url, { redirect: "manual" }));
  }

  /** The emulated directory's controls (Graph emulator, no token). */
  async directory(body: Record<string, unknown>): Promise<Answer> {
    return httpsCall(`${this.sandbox.endpoints.graphUrl}/_emulator/users`, this.sandbox.ca.certPem, "POST", body);
  }

  /** An https GET trusting the emulator CA (the delivery link's storage); the body's bytes. */
  download(url: string): Promise<{ status: number; bytes: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: "GET", ca: this.sandbox.ca.certPem, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) });
        });
      });
      req.on("error", reject);
      req.end();
    });
  }
}

function httpsCall(url: string, ca: string, method: string, body: unknown): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        agent: false,
        headers: { "content-type": "application/json", "content-length": String(payload.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, text, json: parse(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
