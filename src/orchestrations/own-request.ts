// The first step of every orchestration that serves a public request (lifecycle, issuance, offboarding, rotation):
// write the request's record when the input carries it. Inputs without one (sub-orchestrations, instances started
// before the field existed) schedule nothing, so their replays are unchanged.
import type { OrchestrationContext, RetryOptions, Task } from "durable-functions";
import { run } from "../activities/define";
import { recordOwnRequest } from "../activities/request-record";
import type { RequestRecordInput } from "../domain/requests";

export function* ensureOwnRequestRecord(
  context: OrchestrationContext,
  record: RequestRecordInput | undefined,
  retry: RetryOptions,
): Generator<Task, void, unknown> {
  if (record === undefined) return;
  yield* run(recordOwnRequest, { instanceId: context.df.instanceId, record }, retry);
}
