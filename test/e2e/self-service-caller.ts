// Stand-in for src/functions/me-caller.ts (which validates the user's token through authorize()) until the sandbox
// issues user tokens (identity emulator, endpoints.json `userToken`): the caller's UPN comes from a test header.
import type { HttpRequest } from "@azure/functions";
import { problem } from "../../src/functions/http-validation";
import type { Validated } from "../../src/functions/http-validation";
import type { SelfServiceCaller } from "../../src/functions/me-caller";
import { parseUpn } from "../../src/domain/upn";

const HEADER = "x-test-upn";

export function asUser(upn: string): Record<string, string> {
  return { [HEADER]: upn };
}

export function authorizeRoute(request: HttpRequest): Promise<Validated<SelfServiceCaller>> {
  const parsed = parseUpn(request.headers.get(HEADER) ?? "");
  return Promise.resolve(
    parsed.ok
      ? { ok: true, value: { upn: parsed.upn, label: `user:${parsed.upn}` } }
      : { ok: false, response: problem(401, "Unauthorized", "a user's bearer token is required") },
  );
}
