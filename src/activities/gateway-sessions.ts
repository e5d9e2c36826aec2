// Activities that end the live P2S sessions of users whose revocations are now on the gateway (the gateway does not
// document dropping them by itself), matched by the certificate CN the gateway reports as vpnUserName. The users come
// from the ledger's pending marks, written before the PUT that carried their revocations, so a writer that failed
// after its write still ends them on its next pass. Finding and disconnecting are two steps: the lookup is a
// long-running operation, and a gateway that refuses the disconnect for a while after it is waited out without
// looking up again. A mark is cleared only once its sessions are gone.
import { defineActivity } from "./define";
import { services } from "./services";
import type { RetryLater } from "./gateway-apply";
import { GatewayError, parseGatewayId } from "../clients/gateway";

export interface LiveSession {
  readonly vpnConnectionId: string;
  /** Lower-cased UPN (the certificate CN). */
  readonly user: string;
}

/** The gateway refuses for now (busy right after an operation, or throttling): wait and come back. */
type SessionsRefused = RetryLater;

export type FindSessionsOutcome =
  | {
      readonly outcome: "found";
      /** Every marked user: their marks are cleared once `sessions` are disconnected. */
      readonly marked: readonly string[];
      readonly sessions: readonly LiveSession[];
      /** Users left connected because they hold an active certificate too (the session may be on that one). */
      readonly kept: readonly string[];
    }
  | { readonly outcome: "none" }
  | SessionsRefused;

export const findRevokedSessions = defineActivity<{ readonly gatewayId: string }, FindSessionsOutcome>(
  "findRevokedSessions",
  async ({ gatewayId }, context) => {
    const { gateways, ledger } = services();
    const marked = await ledger.listSessionsToEnd(gatewayId);
    if (marked.length === 0) return { outcome: "none" };
    const ref = parseGatewayId(gatewayId);

    const wanted = new Set<string>();
    const kept: string[] = [];
    const now = Date.now();
    for (const user of marked) {
      const certificates = await ledger.listUserCertificates(user);
      const valid = certificates.some((c) => c.status === "active" && (c.notAfter?.getTime() ?? now + 1) > now);
      if (valid) kept.push(user);
      else wanted.add(user);
    }
    for (const user of kept) {
      context.warn(`gateway ${ref.name}: sessions of ${user} left connected: the user holds an active certificate`);
    }
    if (wanted.size === 0) return { outcome: "found", marked, sessions: [], kept };

    try {
      const sessions = (await gateways.sessions(ref))
        .filter((s) => wanted.has(s.vpnUserName.toLowerCase()))
        .map((s) => ({ vpnConnectionId: s.vpnConnectionId, user: s.vpnUserName.toLowerCase() }));
      return { outcome: "found", marked, sessions, kept };
    } catch (error) {
      return refusedOrThrow(error);
    }
  },
);

export interface DisconnectInput {
  readonly gatewayId: string;
  readonly marked: readonly string[];
  readonly sessions: readonly LiveSession[];
  /** Unique id of the writer pass, so a retried activity audits once. */
  readonly passId: string;
}

export type DisconnectOutcome = { readonly outcome: "disconnected"; readonly count: number } | SessionsRefused;

export const disconnectRevokedSessions = defineActivity<DisconnectInput, DisconnectOutcome>(
  "disconnectRevokedSessions",
  async ({ gatewayId, marked, sessions, passId }) => {
    const { gateways, ledger } = services();
    const ref = parseGatewayId(gatewayId);
    try {
      // Disconnecting a session that already ended is harmless, so a retry sends the same list again.
      await gateways.disconnect(
        ref,
        sessions.map((s) => s.vpnConnectionId),
      );
    } catch (error) {
      return refusedOrThrow(error);
    }
    const at = new Date();
    for (const s of sessions) {
      await ledger.appendAudit({
        id: `${passId}:disconnect:${s.vpnConnectionId}`,
        at,
        actor: "gatewayWriter",
        action: "session.disconnected",
        subject: s.user,
        reason: "certificate revoked",
        source: "gateway-sync",
        details: { gateway: ref.name, vpnConnectionId: s.vpnConnectionId },
      });
    }
    await ledger.clearSessionsToEnd(gatewayId, marked);
    return { outcome: "disconnected", count: sessions.length };
  },
);

function refusedOrThrow(error: unknown): SessionsRefused {
  if (error instanceof GatewayError && (error.kind === "busy" || error.kind === "throttled")) {
    return { outcome: error.kind, retryAfterMs: error.retryAfterMs, detail: error.message };
  }
  throw error;
}
