// Who calls a /me route: the signed-in user of a delegated token, and nobody else (an application token is refused,
// and so is the function key even while API_TOKENS_REQUIRED=false: a /me route has no one to act for without a user).
import type { HttpRequest } from "@azure/functions";
import { parseUpn } from "../domain/upn";
import type { Upn } from "../domain/upn";
import { actorLabel } from "./auth/actor";
import type { Actor } from "./auth/actor";
import { authorize } from "./auth/authorize";
import { problem } from "./http-validation";
import type { Validated } from "./http-validation";

export interface SelfServiceCaller {
  readonly upn: Upn;
  /** The audit's actor string (actorLabel). */
  readonly label: string;
  readonly actor: Actor;
}

export async function authorizeRoute(request: HttpRequest): Promise<Validated<SelfServiceCaller>> {
  const actor = await authorize(request, { delegatedUser: true });
  if (!actor.ok) return actor;
  return callerOf(actor.value);
}

/** The caller's UPN, checked by the same rules as any UPN the API takes (a token could carry anything); 403 if not. */
export function callerOf(actor: Actor): Validated<SelfServiceCaller> {
  const parsed = parseUpn(actor.upn ?? "");
  if (!parsed.ok) return { ok: false, response: problem(403, "Forbidden", `the token's user: ${parsed.reason}`) };
  return { ok: true, value: { upn: parsed.upn, label: actorLabel(actor), actor } };
}
