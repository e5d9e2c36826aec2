// A ticketing system's side of POST /api/v1/requests in tests: the raw body signed as ServiceNow or Jira would sign
// it (or sent with a token), and what "nothing was started" means for a refused ticket.
import { signedHeaders } from "../../src/domain/request-signature";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { LIFECYCLE_INSTANCE_PREFIX, lifecycleInstanceId } from "../../src/domain/lifecycle";
import type { LifecycleAction } from "../../src/domain/lifecycle";
import { publicRequestId } from "../../src/domain/requests";
import type { TestSandbox } from "./sandbox";

export interface TicketAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export interface TicketOptions {
  /** The secret to sign with (default the sandbox's); null sends no signature. */
  readonly secret?: string | null;
  /** When the request says it was signed (default now). */
  readonly signedAtMs?: number;
  /** Sent instead of the signed body (a body changed after signing). */
  readonly sentBody?: string;
  readonly token?: string;
}

/** POSTs `rawBody` (a string, sent byte for byte) as a ticketing tool does. */
export async function postTicket(
  sandbox: TestSandbox,
  rawBody: string,
  options: TicketOptions = {},
): Promise<TicketAnswer> {
  const secret = options.secret === undefined ? sandbox.endpoints.ticketSecret : options.secret;
  const response = await fetch(`${sandbox.endpoints.host}/api/v1/requests`, {
    method: "POST",
    headers: {
      "x-functions-key": sandbox.endpoints.functionKey,
      "content-type": "application/json",
      ...(secret === null ? {} : signedHeaders(secret, rawBody, options.signedAtMs ?? Date.now())),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    body: options.sentBody ?? rawBody,
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = {};
  }
  return { status: response.status, body, text };
}

export interface TicketKey {
  readonly ticketId: string;
  readonly action: LifecycleAction;
  readonly upn: string;
}

/** The durable instance and public request id a ticket would run as. */
export function ticketInstance(key: TicketKey): { instanceId: string; requestId: string } {
  const instanceId = lifecycleInstanceId({
    source: "ticket",
    sourceKey: key.ticketId,
    action: key.action,
    upn: key.upn,
  });
  return { instanceId, requestId: publicRequestId(instanceId) };
}

/** How many lifecycle instances the sandbox's durable backend holds (through its HTTP API, with the master key). */
export async function lifecycleInstanceCount(sandbox: TestSandbox): Promise<number> {
  const url = new URL(`${sandbox.endpoints.host}/runtime/webhooks/durabletask/instances`);
  url.searchParams.set("instanceIdPrefix", LIFECYCLE_INSTANCE_PREFIX);
  url.searchParams.set("top", "1000");
  const response = await fetch(url, { headers: { "x-functions-key": sandbox.endpoints.masterKey } });
  if (response.status !== 200) throw new Error(`listing instances answered ${response.status}`);
  return ((await response.json()) as unknown[]).length;
}

/** Nothing started for this ticket: no durable instance, no request record, no certificate for the user. */
export async function nothingStarted(sandbox: TestSandbox, key: TicketKey): Promise<void> {
  const { instanceId, requestId } = ticketInstance(key);
  expect(sandbox.durable.inspect(instanceId)).toBeUndefined();
  const ledger = Ledger.fromConfig(getConfig());
  expect(await ledger.getRequest(requestId)).toBeUndefined();
  expect(await ledger.listUserCertificates(key.upn.toLowerCase())).toEqual([]);
}
