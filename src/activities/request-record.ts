// Activity: a request's orchestration writes its own request record (GET /api/v1/requests/{id} reads it) as its first
// step. The start path writes the same record after the start, but that write can fail (a storage fault, a lost
// answer) while the instance runs; this one is retried by the orchestration until it holds. Idempotent: the first
// record stands.
import { defineActivity } from "./define";
import { services } from "./services";
import { requestRecordOf } from "../domain/requests";
import type { RequestRecordInput } from "../domain/requests";

export interface OwnRequestRecord {
  /** The orchestration's own instance id (the record's public id derives from it). */
  readonly instanceId: string;
  readonly record: RequestRecordInput;
}

export const recordOwnRequest = defineActivity<OwnRequestRecord, { readonly requestId: string }>(
  "recordOwnRequest",
  async ({ instanceId, record }) => {
    const written = await services().ledger.recordRequest(requestRecordOf(instanceId, record));
    return { requestId: written.requestId };
  },
);
