// Who calls a /me route: the signed-in user of a delegated token, and nobody else (an application token is refused,
// and so is the function key even while API_TOKENS_REQUIRED=false: a /me route has no one to act for without a user).
import type { HttpRequest } from "@azure/functions";
import { getConfig } from "../config";
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
}

export async function authorizeRoute(request: HttpRequest): Promise<Validated<SelfServiceCaller>> {
  const actor = await authorize(request, { delegatedUser: true });
  if (!actor.ok) return actor;
  return callerOf(actor.value, getConfig().ALLOWED_UPN_DOMAINS);
}

/**
 * The caller's UPN, checked by the same rules as any UPN the API takes (a token could carry anything), and within
 * ALLOWED_UPN_DOMAINS (empty: any, the sandbox only). 403 otherwise: the token is valid, its user may not self-serve.
 */
export function callerOf(actor: Actor, allowedDomains: readonly string[]): Validated<SelfServiceCaller> {
  const parsed = parseUpn(actor.upn ?? "");
  if (!parsed.ok) return { ok: false, response: problem(403, "Forbidden", `the token's user: ${parsed.reason}`) };
  const domain = parsed.upn.slice(parsed.upn.lastIndexOf("@") + 1).toLowerCase();
  if (allowedDomains.length > 0 && !allowedDomains.includes(domain)) {
    return {
      ok: false,
      response: problem(403, "Forbidden", `certificates are not issued for the domain ${domain} (ALLOWED_UPN_DOMAINS)`),
    };
  }
  return { ok: true, value: { upn: parsed.upn, label: actorLabel(actor) } };
}
