// The writes a gateway writer has sent, as the ledger keeps them until they are audited, and the ticket that orders
// them. The durable backend delivers activities at least once: a re-delivered applyGatewayState may write while the
// orchestrator only ever sees the other execution's result, and may run later than newer passes with its old input.
// So the execution that writes audits and journals its write itself (the journal feeds the writer's warnings at its
// next recorded pass, whichever result it saw), and a write is sent only under a ticket no older than the newest one
// that wrote. Pure.
import { createHash } from "node:crypto";
import type { ExpiredRoot } from "./expired-roots";
import type { LeftOffRevocation } from "./gateway-config";

/** Orders the passes of one gateway's writer: the pass's durable time, then its running count (same instant). */
export interface WriteTicket {
  /** context.df.currentUtcDateTime of the pass, epoch ms. */
  readonly at: number;
  /** Passes of this writer lineage so far (carried across continueAsNew), for passes in the same millisecond. */
  readonly seq: number;
}

/** True when `ticket` comes from an older pass than `newest`: its desired state may undo what `newest` wrote. */
export function isOlderTicket(ticket: WriteTicket, newest: WriteTicket): boolean {
  return ticket.at < newest.at || (ticket.at === newest.at && ticket.seq < newest.seq);
}

/** One write the gateway accepted, as the execution that sent it recorded it. */
export interface JournaledWrite {
  /** The pass and the ETag the write was made from: one key per write (a repeat from the same read is the same). */
  readonly key: string;
  readonly passId: string;
  /** When the PUT was accepted. */
  readonly at: Date;
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
  readonly rootsAdded: readonly string[];
  readonly rootsRemoved: readonly ExpiredRoot[];
  readonly restored: readonly string[];
  /** Retired roots the write removed (audited; not journaled for warnings). */
  readonly rootsRetired?: readonly string[];
  /** Revocations the write left off for want of room (audited; the writer alerts on them). */
  readonly leftOff?: readonly LeftOffRevocation[];
}

/** The key of a write sent by pass `passId` from the gateway read with `etag` (digested: ETags hold quotes). */
export function writeKey(passId: string, etag: string | undefined): string {
  const read = etag === undefined ? "no-etag" : createHash("sha256").update(etag).digest("hex").slice(0, 16);
  return `${passId}@${read}`;
}
