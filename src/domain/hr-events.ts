// HR events from the hr-events queue: the message shape (checked at the edge, an invalid one is never retried), which
// events are stale (occurredAt decides, whatever order they arrive in), and what a valid event does. Pure.
import { createHash } from "node:crypto";
import { z } from "zod";
import { parseUpn, upnKey } from "./upn";
import type { Upn } from "./upn";
import { upnDomainRefusal } from "./upn-domains";

export const HR_EVENT_TYPES = ["hire", "termination", "termination-rescinded", "rehire"] as const;
export type HrEventType = (typeof HR_EVENT_TYPES)[number];

export interface HrEvent {
  readonly eventId: string;
  readonly type: HrEventType;
  readonly upn: Upn;
  /** ISO time the change takes effect (a termination's last day); absent: at once. */
  readonly effectiveAt?: string;
  /** ISO time the change was made in the HR system: the later one wins. */
  readonly occurredAt: string;
}

export type HrEventParse =
  | { readonly ok: true; readonly event: HrEvent }
  /** Why the message is refused, with what could be read of it (for the audit). */
  | { readonly ok: false; readonly reason: string; readonly eventId?: string; readonly upn?: string };

/** Event ids become request ids ("hr-" + id, at most 64 characters), table keys and instance ids. */
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,59}$/;
const isoTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone" });

const hrEventSchema = z.object({
  eventId: z
    .string()
    .regex(EVENT_ID, "must be 1-60 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"),
  type: z.enum(HR_EVENT_TYPES, `must be one of ${HR_EVENT_TYPES.join(", ")}`),
  upn: z.string(),
  effectiveAt: isoTime.optional(),
  occurredAt: isoTime,
});

/**
 * Reads a queue message (the library hands over parsed JSON, or the text when it is not JSON). Refuses what is not an
 * HR event: not a JSON object, a missing or malformed field, an unknown type, an invalid UPN or one outside
 * ALLOWED_UPN_DOMAINS.
 */
export function parseHrEvent(message: unknown, allowedDomains: readonly string[]): HrEventParse {
  if (typeof message !== "object" || message === null || Array.isArray(message) || Buffer.isBuffer(message)) {
    return { ok: false, reason: "the message is not a JSON object" };
  }
  const raw = message as Record<string, unknown>;
  const known = {
    ...(typeof raw.eventId === "string" && EVENT_ID.test(raw.eventId) ? { eventId: raw.eventId } : {}),
    ...(typeof raw.upn === "string" && parseUpn(raw.upn).ok ? { upn: raw.upn } : {}),
  };
  const parsed = hrEventSchema.safeParse(message);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => `${issue.path.map(String).join(".") || "message"}: ${issue.message}`)
      .join("; ");
    return { ok: false, reason, ...known };
  }
  const upn = parseUpn(parsed.data.upn);
  if (!upn.ok) return { ok: false, reason: `upn: ${upn.reason}`, ...known };
  const refusal = upnDomainRefusal(upn.upn, allowedDomains);
  if (refusal !== undefined) return { ok: false, reason: `upn: ${refusal}`, ...known };
  const { eventId, type, effectiveAt, occurredAt } = parsed.data;
  return {
    ok: true,
    event: {
      eventId,
      type,
      upn: upn.upn,
      occurredAt: new Date(occurredAt).toISOString(),
      ...(effectiveAt === undefined ? {} : { effectiveAt: new Date(effectiveAt).toISOString() }),
    },
  };
}

/** The last event applied to a user: later events are compared with it. */
export interface HrUserState {
  readonly eventId: string;
  readonly type: HrEventType;
  readonly occurredAt: string;
}

/** Why the event must not be applied (an event that happened earlier arrived later), or undefined when it applies. */
export function staleHrEvent(event: HrEvent, last: HrUserState | undefined): string | undefined {
  if (last === undefined || last.eventId === event.eventId) return undefined;
  if (Date.parse(event.occurredAt) > Date.parse(last.occurredAt)) return undefined;
  return (
    `ignored: ${event.type} ${event.eventId} occurred at ${event.occurredAt}, not after ${last.type} ` +
    `${last.eventId} (${last.occurredAt}), already applied`
  );
}

export type HrAction =
  /** Issue a certificate (and cancel a pending termination). */
  | { readonly kind: "onboard"; readonly effectiveAt: string }
  /** Offboard at once, as of `effectiveAt`. */
  | { readonly kind: "offboard"; readonly effectiveAt: string }
  /** Offboard when `effectiveAt` comes: a durable wait that a later event cancels or moves. */
  | { readonly kind: "offboard-later"; readonly effectiveAt: string }
  /** Cancel a pending termination. */
  | { readonly kind: "rescind" };

/** What a valid, current event does at `nowMs`. */
export function hrAction(event: HrEvent, nowMs: number): HrAction {
  const effectiveAt = event.effectiveAt ?? event.occurredAt;
  switch (event.type) {
    case "hire":
    case "rehire":
      return { kind: "onboard", effectiveAt };
    case "termination-rescinded":
      return { kind: "rescind" };
    case "termination":
      return Date.parse(effectiveAt) > nowMs
        ? { kind: "offboard-later", effectiveAt }
        : { kind: "offboard", effectiveAt };
  }
}

/** The request id of everything an HR event starts (certificate, offboarding): one per event. */
export function hrRequestId(eventId: string): string {
  return `hr-${eventId}`;
}

/** The one termination wait of a user: deterministic, so every event about them finds it. */
export function hrTerminationInstanceId(upn: Upn): string {
  return `hr-termination-${createHash("sha256").update(upnKey(upn)).digest("hex").slice(0, 32)}`;
}
