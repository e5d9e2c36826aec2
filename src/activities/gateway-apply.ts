// Activities of one writer pass. applyGatewayState re-reads the gateway, plans, and sends everything pending in ONE
// PUT (If-Match on the read's ETag); awaitGatewayWrite follows that long-running PUT for a bounded time per call and,
// once it has ended, re-reads the gateway to verify. No activity holds a PUT that runs for minutes, and a writer that
// restarts resumes nothing blindly: a gateway still Updating is treated as busy. Both are safe to repeat, also when
// the durable backend delivers them twice: an apply writes only under a ticket no older than the newest that wrote
// (a stale re-delivery writes nothing), and audits each write it sends itself (gateway-write-audit).
import { defineActivity } from "./define";
import { services } from "./services";
import { auditAcceptedWrite, auditFailedWrite } from "./gateway-write-audit";
import { GatewayError, parseGatewayId } from "../clients/gateway";
import type { GatewayClient } from "../clients/gateway";
import { gatewayWithRadiusSecret, RadiusSecretMissingError } from "../clients/radius-secret";
import { GatewayCapacityError, planSync, satisfies } from "../domain/gateway-config";
import type { DesiredState, LeftOffRevocation, P2sCertificateState } from "../domain/gateway-config";
import type { ExpiredRoot } from "../domain/expired-roots";
import { NOTHING, entriesToKeep, isEmpty, lostEntries, withRestored } from "../domain/gateway-restore";
import { writeKey } from "../domain/gateway-write-journal";
import type { WriteTicket } from "../domain/gateway-write-journal";
import { normaliseThumbprint } from "../domain/thumbprint";

/**
 * How far one awaitGatewayWrite call follows the PUT before handing back to the orchestrator: six polls at the pace
 * the gateway sets (Retry-After 10 s from Azure, which the SDK puts in place of GATEWAY_POLL_INTERVAL_MS), so about
 * a minute, and never more than five minutes, well inside any Functions timeout.
 */
export const WRITE_POLL_LIMITS = { polls: 6, maxMs: 5 * 60_000 } as const;

export interface ApplyGatewayInput {
  readonly gatewayId: string;
  /** The pass: names the write in the journal and the audit. */
  readonly passId: string;
  /** Orders this pass against the others: a write is sent only when no newer pass has written. */
  readonly ticket: WriteTicket;
  readonly desired: DesiredState;
  /** UPN (lower case) of each desired revoked thumbprint: their sessions are marked to be ended. */
  readonly revokedUsers: Readonly<Record<string, string>>;
  /** Entries an earlier write carried that a concurrent write dropped: put back when missing (gateway-restore). */
  readonly restore?: P2sCertificateState;
}

/** What a write carries, for the record, the audit and the status. */
export interface PlannedWrite {
  readonly addedRevocations: readonly string[];
  readonly prunedRevocations: readonly string[];
  readonly rootsAdded: readonly string[];
  /** Expired roots left out of the write (Azure refuses a PUT that carries one): warned about and audited. */
  readonly rootsRemoved: readonly ExpiredRoot[];
  /** Entries put back after a concurrent write dropped them. */
  readonly restored: readonly string[];
  /** Retired managed roots the write removes (a rotation retired them). Absent in histories from before issue 14. */
  readonly rootsRetired?: readonly string[];
  /**
   * Revocations the gateway has no room for (over 300): alerted critically, never a reason to stop writing. Absent
   * in histories from before issue 14.
   */
  readonly leftOff?: readonly LeftOffRevocation[];
}

/** Retry later: the gateway is busy or throttling (wait at least retryAfterMs). */
export interface RetryLater {
  readonly outcome: "busy" | "throttled";
  readonly retryAfterMs: number | undefined;
  readonly detail: string;
}

/**
 * Someone changed the gateway since the read, the write did not end with the desired state, or a newer pass has
 * written (superseded: this execution is stale; the writer itself seeing it means its clock went back): plan again.
 */
export interface Disagreement {
  readonly outcome: "conflict" | "unverified" | "failed" | "superseded";
  readonly detail: string;
  /** Entries the write carried that the gateway no longer shows after it (a concurrent write dropped them). */
  readonly lost?: P2sCertificateState;
}

/**
 * Cannot be applied without dropping something the gateway must keep (more than 20 roots, a RADIUS secret that cannot
 * be supplied), or the gateway refused the object: alert. Revocations over 300 are not a refusal: the write carries
 * the 300 that stay valid longest (leftOff).
 */
export interface Refusal {
  readonly outcome: "capacity" | "rejected" | "radiusSecret";
  readonly detail: string;
}

/** The outcomes that end a pass without a verified write, for the writer to decide on. */
export type PassSetback = RetryLater | Disagreement | Refusal;

export type ApplyGatewayOutcome =
  | {
      readonly outcome: "inSync";
      readonly revokedCount: number;
      readonly rootCount: number;
      /** Revocations still left off for want of room (the alert is raised once per distinct set). */
      readonly leftOff?: readonly LeftOffRevocation[];
    }
  | {
      readonly outcome: "started";
      readonly operation: string;
      /** The write's key in the journal and the audit (awaitGatewayWrite audits its operation's failure). */
      readonly writeKey: string;
      readonly plan: PlannedWrite;
      /** What the write carries beyond what the ledger gives back (awaitGatewayWrite checks it survived). */
      readonly kept: P2sCertificateState;
    }
  | PassSetback;

export const applyGatewayState = defineActivity<ApplyGatewayInput, ApplyGatewayOutcome>(
  "applyGatewayState",
  async ({ gatewayId, passId, ticket, desired, revokedUsers, restore }, context) => {
    const { gateways, ledger, config, keyVault } = services();
    const ref = parseGatewayId(gatewayId);
    try {
      const before = await gateways.read(ref);
      if (before.provisioningState === "Updating") {
        // Someone's operation (or this writer's own, before a restart) still runs: its object is not yet in force.
        return { outcome: "busy", retryAfterMs: undefined, detail: "the gateway is Updating" };
      }
      const { state: actual, restored } = withRestored(before.state, restore ?? NOTHING);
      const plan = planSync(actual, desired, new Date());
      // A gateway whose last operation failed shows the object it was given, not what it enforces: write it again.
      const failed = before.provisioningState === "Failed";
      if (!plan.changed && restored.length === 0 && !failed) {
        return {
          outcome: "inSync",
          revokedCount: before.state.revoked.length,
          rootCount: before.state.roots.length,
          leftOff: plan.leftOff,
        };
      }
      // Before any side effect: a RADIUS gateway is written only with its secret (a GET never returns it).
      const gateway = await gatewayWithRadiusSecret(config, keyVault.secrets, ref.name, before.gateway);
      // After a failed operation every desired revocation is newly enforced by this write.
      const added = failed ? desired.revokedThumbprints.map(normaliseThumbprint) : plan.addedRevocations;
      // Mark whose sessions to end before the PUT: if the writer fails after it, the next pass still ends them.
      const users = added.flatMap((t) => revokedUsers[t] ?? []);
      // A stale execution (re-delivered after newer passes wrote) could put back old root data or a restored entry
      // removed since: write only when no newer pass has.
      if (!(await ledger.claimGatewayWrite(gatewayId, ticket, passId))) {
        const detail = `a newer pass than ${passId} has written the gateway`;
        context.log(`gateway ${ref.name}: not written, superseded: ${detail}`);
        return { outcome: "superseded", detail };
      }
      await ledger.markSessionsToEnd(gatewayId, users, new Date());
      context.log(
        `gateway ${ref.name}: writing +${plan.addedRevocations.length} revoked, -${plan.prunedRevocations.length} pruned, roots +${plan.rootsAdded.length} ~${plan.rootsUpdated.length} -${plan.rootsRemoved.length} expired, restored ${restored.length}${failed ? " (after a failed operation)" : ""}${plan.rootsRetired.length > 0 ? `, retired roots ${plan.rootsRetired.join(", ")}` : ""}${plan.leftOff.length > 0 ? `, ${plan.leftOff.length} revocations left off (no room)` : ""}`,
      );
      const progress = await gateways.beginWrite(ref, { ...before, gateway }, plan.next);
      const written: PlannedWrite = {
        addedRevocations: added,
        prunedRevocations: plan.prunedRevocations,
        rootsAdded: [...plan.rootsAdded, ...plan.rootsUpdated],
        rootsRemoved: plan.rootsRemoved,
        restored,
        rootsRetired: plan.rootsRetired,
        leftOff: plan.leftOff,
      };
      // The gateway accepted the write: audit it now, as the orchestrator may never see this execution's result (a
      // duplicate delivery's completion is dropped), and journal it for the writer's warnings (expired roots).
      const key = writeKey(passId, before.etag);
      const journaled = { key, passId, at: new Date(), ...written };
      await auditAcceptedWrite(ledger, gatewayId, journaled, plan.next.revoked.length);
      await ledger.journalGatewayWrite(gatewayId, journaled);
      return {
        outcome: "started",
        operation: progress.state === "running" ? progress.operation : "",
        writeKey: key,
        plan: written,
        kept: entriesToKeep(plan.next, desired),
      };
    } catch (error) {
      if (error instanceof GatewayCapacityError) return { outcome: "capacity", detail: error.message };
      if (error instanceof RadiusSecretMissingError) return { outcome: "radiusSecret", detail: error.message };
      return classifyOrThrow(error);
    }
  },
);

export interface AwaitWriteInput {
  readonly gatewayId: string;
  /** The serialized operation from applyGatewayState ("" when the PUT had already ended). */
  readonly operation: string;
  /** The write's key: its operation ending Failed is audited under it. */
  readonly writeKey?: string;
  readonly desired: DesiredState;
  /** What the write carried beyond the desired state; any of it missing afterwards is reported as lost. */
  readonly kept?: P2sCertificateState;
}

export type AwaitWriteOutcome =
  | { readonly outcome: "running"; readonly operation: string }
  | {
      readonly outcome: "written";
      readonly revokedCount: number;
      readonly rootCount: number;
      readonly lost?: P2sCertificateState;
    }
  | PassSetback;

export const awaitGatewayWrite = defineActivity<AwaitWriteInput, AwaitWriteOutcome>(
  "awaitGatewayWrite",
  async ({ gatewayId, operation, writeKey: key, desired, kept }) => {
    const { gateways } = services();
    const ref = parseGatewayId(gatewayId);
    try {
      if (operation !== "") {
        const progress = await pollOrMarkFailed(gatewayId, operation, key);
        if (progress.state === "running") return { outcome: "running", operation: progress.operation };
      }
      // Verify from a fresh read, not from the operation's answer: that is what the gateway enforces now.
      const after = await gateways.read(ref);
      const now = new Date();
      // If-Match is not documented for gateways: a write from an older read may have landed over this one.
      const lost = lostEntries(kept ?? NOTHING, after.state);
      const lostPart = isEmpty(lost) ? {} : { lost };
      if (after.provisioningState !== "Succeeded" || !satisfies(after.state, desired, now)) {
        return {
          ...lostPart,
          outcome: "unverified",
          detail: `after the write the gateway is ${after.provisioningState ?? "in an unknown state"} and ${satisfies(after.state, desired, now) ? "shows" : "does not show"} the written state`,
        };
      }
      return {
        outcome: "written",
        revokedCount: after.state.revoked.length,
        rootCount: after.state.roots.length,
        ...lostPart,
      };
    } catch (error) {
      return classifyOrThrow(error);
    }
  },
);

/**
 * Polls the write; one whose operation ended Failed (busy or otherwise) is audited so, after the entry that says
 * the gateway accepted it.
 */
async function pollOrMarkFailed(
  gatewayId: string,
  operation: string,
  key: string | undefined,
): ReturnType<GatewayClient["pollWrite"]> {
  const { gateways, ledger } = services();
  try {
    return await gateways.pollWrite(parseGatewayId(gatewayId), operation, WRITE_POLL_LIMITS);
  } catch (error) {
    const ended = error instanceof GatewayError && (error.kind === "busy" || error.kind === "operationFailed");
    if (ended && key !== undefined) await auditFailedWrite(ledger, gatewayId, key, error.message);
    throw error;
  }
}

/** Maps the gateway failures the writer decides on; anything else is unexpected and propagates (the writer alerts). */
function classifyOrThrow(error: unknown): PassSetback {
  if (error instanceof GatewayError) {
    switch (error.kind) {
      case "busy":
      case "throttled":
        return { outcome: error.kind, retryAfterMs: error.retryAfterMs, detail: error.message };
      case "preconditionFailed":
        return { outcome: "conflict", detail: error.message };
      case "invalid":
        return { outcome: "rejected", detail: error.message };
      case "operationFailed":
        // The PUT was accepted and then ended Failed (not for a busy gateway): plan again from a fresh read.
        return { outcome: "failed", detail: error.message };
      case "notFound":
      case "other":
        break;
    }
  }
  throw error;
}
