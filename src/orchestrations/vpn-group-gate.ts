// The issuance's first step: the VPN group gate (ENTRA_VPN_GROUP_ID). A refusal is audited and ends the issuance
// with its reason before anything is recorded or created; Graph's throttling is retried by `retry`.
import type { RetryOptions, Task } from "durable-functions";
import { run } from "../activities/define";
import { TerminalIssuanceError } from "../activities/ca-outcome";
import { checkVpnGroup, recordIssuanceRefused } from "../activities/vpn-group-gate";
import type { IssuanceRequest } from "../domain/issuance";

export function* passVpnGroupGate(request: IssuanceRequest, retry: RetryOptions): Generator<Task, void, unknown> {
  const decision = yield* run(checkVpnGroup, { upn: request.upn }, retry);
  if (decision.allowed) return;
  yield* run(recordIssuanceRefused, { request, refusal: decision.refusal, message: decision.message }, retry);
  throw new TerminalIssuanceError(`refused: ${decision.refusal}: ${decision.message}`);
}
