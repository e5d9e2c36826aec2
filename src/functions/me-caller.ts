// Who calls a /me route: the signed-in user of a delegated token, and nobody else.
import type { HttpRequest } from "@azure/functions";
import { problem } from "./http-validation";
import type { Validated } from "./http-validation";
import type { Upn } from "../domain/upn";

export interface SelfServiceCaller {
  readonly upn: Upn;
  /** The audit's actor string. */
  readonly label: string;
}

/**
 * SEAM (issue 10 plan): until h-auth's `authorize(request, { delegatedUser: true })` is merged, nobody is
 * authenticated here, so every /me call is refused with 401 and nothing starts.
 */
export function authorizeRoute(_request: HttpRequest): Promise<Validated<SelfServiceCaller>> {
  return Promise.resolve({ ok: false, response: problem(401, "Unauthorized", "a user's bearer token is required") });
}
