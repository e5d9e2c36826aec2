// Starts an offboarding idempotently, keyed on the request and on what it revokes: a repeated request joins its
// instance while there is nothing new to revoke, and runs again when the user has a certificate issued since (a
// rehire); it never answers "accepted" for a run that does nothing.
import { createHash } from "node:crypto";
import type { DurableClient } from "durable-functions";
import type { Ledger } from "./ledger";
import { instanceStatus, startOnce } from "./durable-start";
import type { StartOutcome } from "./durable-start";
import { isLive } from "../domain/ledger";
import { assertUpn, upnKey } from "../domain/upn";
import { staleOffboarding } from "../domain/user-standing";
import { OFFBOARD_USER_ORCHESTRATION } from "../orchestrations/offboard-user";
import type { OffboardInput } from "../orchestrations/offboard-user";

export type OffboardingStart =
  | { readonly kind: StartOutcome; readonly instanceId: string }
  /** Nothing was started: the request's offboarding is done and nothing is left to revoke. */
  | { readonly kind: "done"; readonly instanceId: string; readonly detail: string }
  /** Nothing was started: the offboarding took effect before the user's latest rehire. */
  | { readonly kind: "stale"; readonly detail: string };

/** Every offboarding instance id starts with this (gatewayReconcile finds failed ones by it). */
export const OFFBOARDING_INSTANCE_PREFIX = "offboard-";

/** The instance of a request; with `revoking`, of its repeat for the certificates issued since it ran. */
export function offboardingInstanceId(userKey: string, requestId: string, revoking: readonly string[] = []): string {
  const hash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 32);
  const base = `${OFFBOARDING_INSTANCE_PREFIX}${hash(`${userKey}\n${requestId}`)}`;
  return revoking.length === 0 ? base : `${base}-${hash([...revoking].sort().join("\n")).slice(0, 16)}`;
}

export async function startOffboarding(
  client: DurableClient,
  ledger: Ledger,
  input: OffboardInput,
): Promise<OffboardingStart> {
  const { request } = input;
  const userKey = upnKey(assertUpn(request.upn));
  const effectiveAt = new Date(request.effectiveAt ?? Date.now());
  const stale = staleOffboarding(await ledger.getStanding(userKey), request.upn, effectiveAt);
  if (stale !== undefined) return { kind: "stale", detail: stale };

  const first = offboardingInstanceId(userKey, request.requestId);
  if ((await instanceStatus(client, first)) !== "Completed") {
    return { kind: await startOnce(client, OFFBOARD_USER_ORCHESTRATION, first, input), instanceId: first };
  }
  // The request ran to the end before. Whatever is live now was issued since (a rehire) or escaped it: revoke it
  // in a run keyed on those certificates, so a repeat of this request joins that run instead of starting another.
  const live = (await ledger.listUserCertificates(userKey)).filter(isLive).map((r) => r.certificateName);
  if (live.length === 0) {
    return {
      kind: "done",
      instanceId: first,
      detail: `nothing was started: offboarding ${request.requestId} of ${request.upn} completed and no certificate of theirs is left to revoke`,
    };
  }
  const again = offboardingInstanceId(userKey, request.requestId, live);
  return { kind: await startOnce(client, OFFBOARD_USER_ORCHESTRATION, again, input), instanceId: again };
}
