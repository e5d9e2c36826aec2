// The single writer of one gateway (a singleton per gateway, instance id from gatewayWriterInstanceId). Each pass
// re-reads the ledger and the gateway and applies everything pending in one PUT; changes that arrive during a
// write are picked up by the next pass. Once in sync it sleeps until a request wakes it, and never finishes by
// itself: a writer that finished could drop a request raised during its last pass (after its ledger read), and the
// requester, who saw it still running, would never know. Each wake-up starts a fresh generation (continueAsNew) whose
// first pass re-reads the ledger, so events that continueAsNew may discard were already covered by that read. The
// sleep is a bare waitForExternalEvent: Task.any([timer, event]) followed by continueAsNew is durable-functions-js
// #577. It ends only by failing, always with an alert (refused write, unexpected error); the next request or
// gatewayReconcile restarts it.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { run } from "../activities/define";
import { applyGatewayState, awaitGatewayWrite } from "../activities/gateway-apply";
import type { AwaitWriteOutcome, PassSetback, PlannedWrite } from "../activities/gateway-apply";
import { computeDesiredGatewayState } from "../activities/gateway-desired-state";
import { recordGatewaySync } from "../activities/gateway-record-sync";
import { requestProfileRegenerationActivity } from "../activities/profile";
import { alertLeftOff, failLoudly, nameOf, warn } from "./gateway-writer-alerts";
import { disconnectRevokedSessions, findRevokedSessions } from "../activities/gateway-sessions";
import { CHANGES_PENDING_EVENT, GATEWAY_WRITER_ORCHESTRATION } from "../clients/gateway-writer-starter";
import type { ChangesPending } from "../clients/gateway-writer-starter";
import { backoffDelayMs } from "../domain/backoff";
import type { BackoffPolicy } from "../domain/backoff";
import { describeExpiredRoots } from "../domain/expired-roots";
import type { P2sCertificateState } from "../domain/gateway-config";
import { NOTHING, describeEntries, isEmpty, mergeEntries } from "../domain/gateway-restore";
import type { GatewayWriterInput } from "../domain/gateway-writer-input";

/** Passes per generation before continueAsNew trims the history under a long stream of changes. */
const PASSES_PER_GENERATION = 10;
const MAX_BUSY_WAIT_MS = 5 * 60_000;
/** Consecutive 412s, failed or unverified writes before the writer stops and alerts rather than rewrite forever. */
const MAX_DISAGREEMENTS = 5;
/**
 * A write is followed for at most three hours (durable clock, from its first follow-up) and at most 180
 * awaitGatewayWrite calls. Each call is six polls at the gateway's Retry-After (10 s from Azure): a minute, so both
 * limits are three hours in Azure; the count bounds the history when polls come faster (no Retry-After).
 */
const MAX_WRITE_FOLLOW_MS = 3 * 60 * 60_000;
const MAX_WRITE_FOLLOW_UPS = 180;
/** Disconnects refused in a row before the pass starts over (with a fresh lookup) through the busy wait. */
const MAX_DISCONNECT_ATTEMPTS = 6;

/**
 * Transient failures of the ledger, Key Vault or ARM get a few retries (from the busy backoff, doubling: about 2
 * minutes in all by default) before the writer fails loudly.
 */
function activityRetry(input: GatewayWriterInput): df.RetryOptions {
  const retry = new df.RetryOptions(input.busyBackoffMs, 4);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = MAX_BUSY_WAIT_MS;
  return retry;
}

/** Entries a concurrent write dropped, to be put back by the next passes until a verified write holds them. */
interface RestoreBook {
  restore: P2sCertificateState | undefined;
}

/** How one pass ended, as the loop decides on it. */
type PassOutcome =
  | { readonly kind: "applied"; readonly written: boolean }
  | { readonly kind: "wait"; readonly state: string; readonly retryAfterMs: number | undefined }
  | { readonly kind: "disagree"; readonly outcome: string; readonly detail: string }
  | { readonly kind: "refuse"; readonly outcome: string; readonly detail: string };

export const gatewayWriter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<GatewayWriterInput>();
  const gatewayName = nameOf(input.gatewayId);
  const retry = activityRetry(input);
  // Unique per generation, also across restarts after a failure: audit ids built from it are never reused.
  const generationId = context.df.newGuid(`${context.df.instanceId}:generation`);
  let passes = 0;
  let busyAttempts = 0;
  let busySince: number | undefined = input.busySince;
  let busyAlerted = input.busyAlerted ?? false;
  let disagreements = 0;
  const book: RestoreBook = { restore: input.restore };

  if (!input.continued && input.coalesceMs > 0) {
    // Woken by a request: let the requests of the same burst reach the ledger, so one write carries them all.
    context.df.setCustomStatus({ gateway: gatewayName, pass: 0, state: "coalescing" });
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + input.coalesceMs));
  }

  for (;;) {
    passes++;
    const passId = `${generationId}:${passes}`;
    const outcome: PassOutcome = yield* guarded(onePass(context, input, retry, passId, passes, book));

    if (outcome.kind === "wait") {
      // Another operation runs on the gateway (or ARM throttles): wait on a durable timer, then re-read and retry.
      busyAttempts++;
      const now = context.df.currentUtcDateTime.getTime();
      busySince ??= now;
      if (!busyAlerted && now - busySince >= input.busyAlertMs) {
        // Still refused after a long while: tell the operators, and keep trying.
        busyAlerted = true;
        const minutes = Math.round((now - busySince) / 60_000);
        yield* warn(context, retry, input.gatewayId, {
          title: `Gateway ${gatewayName}: revocations are waiting`,
          detail: `the gateway has refused the writer (${outcome.state}) for ${minutes} minutes; it keeps trying`,
        });
      }
      if (passes >= PASSES_PER_GENERATION) {
        // Keep the history short through a long busy spell, carrying the spell's start and its warning.
        return continueWith(context, input, passes, {
          continued: true,
          busySince,
          busyAlerted,
          restore: book.restore,
        });
      }
      const waitMs = Math.min(MAX_BUSY_WAIT_MS, backoffDelayMs(busyBackoff(input), busyAttempts, outcome.retryAfterMs));
      context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: outcome.state, waitMs });
      yield context.df.createTimer(new Date(now + waitMs));
      continue;
    }
    busyAttempts = 0;
    busySince = undefined;
    busyAlerted = false;

    if (outcome.kind === "disagree") {
      // The gateway changed under us (a hand edit), or the write failed or did not stick: plan again from a fresh
      // read, at once the first time, then after a backoff; a gateway that keeps disagreeing is reported.
      disagreements++;
      if (disagreements >= MAX_DISAGREEMENTS) {
        const detail = `${disagreements} writes in a row were refused or did not stick (last: ${outcome.detail})`;
        return yield* failLoudly(context, retry, input.gatewayId, passId, outcome.outcome, detail);
      }
      if (disagreements > 1) {
        const waitMs = backoffDelayMs(busyBackoff(input), disagreements - 1);
        context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: outcome.outcome, waitMs });
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitMs));
      }
      continue;
    }

    if (outcome.kind === "refuse") {
      // Applying would drop a valid entry, the gateway refused the object, or something unexpected failed: stop
      // loudly, write nothing more.
      return yield* failLoudly(context, retry, input.gatewayId, passId, outcome.outcome, outcome.detail);
    }
    disagreements = 0;

    if (outcome.written) {
      if (passes >= PASSES_PER_GENERATION) {
        // Keep the history short under a long stream of changes; the next generation re-reads everything.
        return continueWith(context, input, passes, { continued: true, restore: book.restore });
      }
      // Something was written: loop to pick up whatever arrived during the write.
      continue;
    }

    // In sync: sleep until a request (offboarding, gatewayReconcile) wakes it; a request raised during this
    // generation's passes is already waiting and wakes it at once, for one more pass.
    context.df.setCustomStatus({ gateway: gatewayName, pass: passes, state: "waiting" });
    const wake = (yield context.df.waitForExternalEvent(CHANGES_PENDING_EVENT)) as ChangesPending | null | undefined;
    // A wake-up carries the current settings, so a changed configuration reaches a writer that never ends.
    const settings = wake?.settings?.gatewayId === input.gatewayId ? wake.settings : input;
    return continueWith(context, { ...input, ...settings }, passes, { continued: false, restore: book.restore });
  }
};

/** One pass: desired state, one PUT if anything differs (followed until it ends), the record, the sessions. */
function* onePass(
  context: OrchestrationContext,
  input: GatewayWriterInput,
  retry: df.RetryOptions,
  passId: string,
  pass: number,
  book: RestoreBook,
): Generator<Task, PassOutcome, unknown> {
  const status = (state: string): void => {
    context.df.setCustomStatus({ gateway: nameOf(input.gatewayId), pass, state });
  };
  status("reading");

  // Re-read the desired state every pass: everything marked in the ledger before now goes into this write.
  const { desired, revokedUsers, rootError } = yield* run(computeDesiredGatewayState, {}, retry);

  // Read the gateway, plan, and send one PUT with If-Match when anything differs. The ticket orders this pass after
  // every earlier one, so a re-delivered execution of an earlier pass cannot write over this one's work.
  const restore = book.restore === undefined ? {} : { restore: book.restore };
  const ticket = { at: context.df.currentUtcDateTime.getTime(), seq: (input.generation ?? 0) + pass };
  const begun = yield* run(
    applyGatewayState,
    { gatewayId: input.gatewayId, passId, ticket, desired, revokedUsers, ...restore },
    retry,
  );
  let written: { plan: PlannedWrite; revokedCount: number; rootCount: number } | undefined;
  if (begun.outcome === "started") {
    // Follow the long-running PUT in bounded activity calls until it ends, then verify from a fresh read.
    status("writing");
    const followedSince = context.df.currentUtcDateTime.getTime();
    let progress: AwaitWriteOutcome = yield* run(
      awaitGatewayWrite,
      { gatewayId: input.gatewayId, operation: begun.operation, writeKey: begun.writeKey, desired, kept: begun.kept },
      retry,
    );
    for (let call = 1; progress.outcome === "running"; call++) {
      const followedMs = context.df.currentUtcDateTime.getTime() - followedSince;
      if (call > MAX_WRITE_FOLLOW_UPS || followedMs >= MAX_WRITE_FOLLOW_MS) {
        // A PUT that has not ended after hours: stop following it and plan again (the gateway still Updating is
        // then waited for as busy), so the history stays bounded and the warning below comes from the busy wait.
        return { kind: "disagree", outcome: "unverified", detail: "the gateway write did not end in time" };
      }
      progress = yield* run(
        awaitGatewayWrite,
        {
          gatewayId: input.gatewayId,
          operation: progress.operation,
          writeKey: begun.writeKey,
          desired,
          kept: begun.kept,
        },
        retry,
      );
    }
    const lost = progress.outcome === "written" || progress.outcome === "unverified" ? progress.lost : undefined;
    if (lost !== undefined && !isEmpty(lost)) {
      // If-Match is not documented for gateways: someone's write from an older read landed over ours. Put back what
      // it dropped on the next pass (the ledger's own entries come back by themselves) and say so.
      yield* warn(context, retry, input.gatewayId, {
        title: `Gateway ${nameOf(input.gatewayId)}: a concurrent write dropped entries`,
        detail: `entries that were on the gateway before the writer's write are gone after it; the writer puts them back: ${describeEntries(lost)}`,
      });
    }
    if (progress.outcome !== "written") {
      book.restore = mergeEntries(book.restore ?? NOTHING, lost ?? NOTHING);
      return verdict(progress);
    }
    // A verified write holds what it restored; only what this write lost is still to be put back.
    book.restore = lost === undefined || isEmpty(lost) ? undefined : lost;
    written = { plan: begun.plan, revokedCount: progress.revokedCount, rootCount: progress.rootCount };
  } else if (begun.outcome === "inSync") {
    book.restore = undefined;
  } else {
    return verdict(begun);
  }

  // Record the pass (written or already in sync) for the API. Each write was audited by the execution that sent it;
  // the writes journaled since the last record (this pass's, and any a re-delivered execution sent without the writer
  // seeing its result) come back for the warnings below.
  const counts = written ?? (begun.outcome === "inSync" ? begun : { revokedCount: -1, rootCount: -1 });
  const plan = written?.plan;
  const summary =
    plan === undefined
      ? "in sync"
      : `added ${plan.addedRevocations.length} revocations, pruned ${plan.prunedRevocations.length}`;
  const audited = yield* run(
    recordGatewaySync,
    {
      gatewayId: input.gatewayId,
      passId,
      outcome: written === undefined ? "inSync" : "written",
      detail: rootError === undefined ? summary : `${summary}; ${rootError}`,
      revokedCount: counts.revokedCount,
      rootCount: counts.rootCount,
    },
    retry,
  );
  if (audited.rootsRemoved.length > 0) {
    // An expired root (often one added by hand) would have made Azure refuse the write: it was left out. Say so.
    yield* warn(context, retry, input.gatewayId, {
      title: `Gateway ${nameOf(input.gatewayId)}: expired root certificates removed`,
      detail: `removed ${describeExpiredRoots(audited.rootsRemoved)}: Azure refuses every gateway write that carries an expired root (VpnClientRootCertificateExpired), and no client can authenticate with one`,
    });
  }

  // Over capacity the write carried the revocations that stay valid longest: say what was left off (once per set).
  const leftOff = (plan === undefined ? (begun.outcome === "inSync" ? begun.leftOff : undefined) : plan.leftOff) ?? [];
  if (leftOff.length > 0) yield* alertLeftOff(context, retry, input.gatewayId, leftOff, revokedUsers);

  if (
    plan !== undefined &&
    (plan.rootsAdded.length > 0 || plan.rootsRemoved.length > 0 || (plan.rootsRetired?.length ?? 0) > 0)
  ) {
    // Our own root changes change the VPN profile: ask for a new one now, not only through Event Grid.
    yield* run(requestProfileRegenerationActivity, { gatewayId: input.gatewayId, reason: `writer ${passId}` }, retry);
  }

  // End the live sessions of users whose revocations are now on the gateway (marked before their write).
  status("ending sessions");
  const found = yield* run(findRevokedSessions, { gatewayId: input.gatewayId }, retry);
  if (found.outcome === "busy" || found.outcome === "throttled") {
    return { kind: "wait", state: found.outcome, retryAfterMs: found.retryAfterMs };
  }
  if (found.outcome === "found") {
    const disconnect = { gatewayId: input.gatewayId, marked: found.marked, sessions: found.sessions, passId };
    for (let attempt = 1; ; attempt++) {
      const ended = yield* run(disconnectRevokedSessions, disconnect, retry);
      if (ended.outcome === "disconnected") break;
      // Refused right after the lookup (a gateway busy after an operation): wait out the refusal and send the same
      // disconnect again, rather than look up again and meet the same refusal after that lookup.
      if (attempt >= MAX_DISCONNECT_ATTEMPTS) {
        return { kind: "wait", state: ended.outcome, retryAfterMs: ended.retryAfterMs };
      }
      const waitMs = backoffDelayMs(busyBackoff(input), attempt, ended.retryAfterMs);
      context.df.setCustomStatus({ gateway: nameOf(input.gatewayId), pass, state: ended.outcome, waitMs });
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitMs));
    }
  }

  return { kind: "applied", written: written !== undefined };
}

function verdict(outcome: PassSetback): PassOutcome {
  switch (outcome.outcome) {
    case "busy":
    case "throttled":
      return { kind: "wait", state: outcome.outcome, retryAfterMs: outcome.retryAfterMs };
    case "conflict":
    case "unverified":
    case "failed":
    case "superseded":
      return { kind: "disagree", outcome: outcome.outcome, detail: outcome.detail };
    case "capacity":
    case "rejected":
    case "radiusSecret":
      return { kind: "refuse", outcome: outcome.outcome, detail: outcome.detail };
  }
}

/** Runs a pass; an activity that failed beyond its retries becomes a refusal, so the writer alerts before it stops. */
function* guarded(pass: Generator<Task, PassOutcome, unknown>): Generator<Task, PassOutcome, unknown> {
  try {
    return yield* pass;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { kind: "refuse", outcome: "error", detail: `unexpected failure: ${detail}` };
  }
}

/** The waits after a refusal: from the configured first wait, doubling, at most MAX_BUSY_WAIT_MS (before Retry-After). */
function busyBackoff(input: GatewayWriterInput): BackoffPolicy {
  return { firstMs: input.busyBackoffMs, maxMs: MAX_BUSY_WAIT_MS, factor: 2 };
}

/**
 * Ends this generation and starts the next from `input`: passes counted on, a busy spell carried only when `next`
 * says so (any other continuation starts without one).
 */
function continueWith(
  context: OrchestrationContext,
  input: GatewayWriterInput,
  passes: number,
  next: Pick<GatewayWriterInput, "continued" | "busySince" | "busyAlerted" | "restore">,
): { gateway: string; passes: number; continued: true } {
  context.df.continueAsNew({
    ...input,
    generation: (input.generation ?? 0) + passes,
    busySince: undefined,
    busyAlerted: false,
    restore: undefined,
    ...next,
  });
  return { gateway: nameOf(input.gatewayId), passes, continued: true };
}

df.app.orchestration(GATEWAY_WRITER_ORCHESTRATION, gatewayWriter);
