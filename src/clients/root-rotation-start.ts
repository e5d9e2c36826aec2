// Starts a root rotation, at most one at a time: a start while one runs joins it. Recorded in the requests table as
// kind `rotation` (GET /api/v1/requests/{id} shows its step) and in the audit table. Also finds the running one
// (the cancel route and the schedule ask).
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { services } from "../activities/services";
import type { Config } from "../config";
import { instanceStatus, startOnce } from "./durable-start";
import { publicRequestId, requestRecordOf, stepOf } from "../domain/requests";
import type { RequestRecordInput } from "../domain/requests";
import type { RotationStarted, RotationSubmission } from "../domain/root-rotation";
import {
  ROOT_ROTATION_ORCHESTRATION,
  ROTATION_REVISION,
  rotationAcceptedAudit,
  rotationInstanceId,
} from "../domain/rotation-run";
import type { RotationInput, RotationSettings } from "../domain/rotation-run";

export interface RunningRotation {
  readonly requestId: string;
  readonly instanceId: string;
  readonly step?: string;
}

const ACTIVE = [
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.ContinuedAsNew,
  df.OrchestrationRuntimeStatus.Suspended,
];

/** The rotation that is pending or running (the oldest, should two ever be), or undefined. */
export async function runningRotation(client: DurableClient): Promise<RunningRotation | undefined> {
  const active = await client.getStatusBy({ runtimeStatus: ACTIVE });
  const rotation = active
    .filter((s) => s.name === ROOT_ROTATION_ORCHESTRATION)
    .sort((a, b) => new Date(a.createdTime).getTime() - new Date(b.createdTime).getTime())[0];
  if (rotation === undefined) return undefined;
  const step = stepOf(rotation.customStatus);
  return {
    requestId: publicRequestId(rotation.instanceId),
    instanceId: rotation.instanceId,
    ...(step === null ? {} : { step }),
  };
}

export function rotationSettings(
  config: Pick<
    Config,
    | "ROOT_ROTATION_GRACE_DAYS"
    | "ROOT_ROTATION_RETIRE_AT_PERCENT"
    | "ROOT_ROTATION_BATCH_SIZE"
    | "ROOT_ROTATION_POLL_SECONDS"
    | "ROOT_ROTATION_COLLECTION_CHECK_MINUTES"
    | "ROOT_ROTATION_GATEWAY_DEADLINE_HOURS"
  >,
): RotationSettings {
  return {
    graceDays: config.ROOT_ROTATION_GRACE_DAYS,
    retireAtPercent: config.ROOT_ROTATION_RETIRE_AT_PERCENT,
    batchSize: config.ROOT_ROTATION_BATCH_SIZE,
    pollSeconds: config.ROOT_ROTATION_POLL_SECONDS,
    collectionCheckMinutes: config.ROOT_ROTATION_COLLECTION_CHECK_MINUTES,
    gatewayDeadlineHours: config.ROOT_ROTATION_GATEWAY_DEADLINE_HOURS,
  };
}

/**
 * A rotation the registry shows unfinished (a root it made still pending, or its promoted root current while another
 * retires) whose instance has not completed: it failed, and a start resumes it rather than begin another.
 */
async function unfinishedRotation(client: DurableClient): Promise<string | undefined> {
  const { ledger, roots } = services();
  const all = await roots.list();
  const retiring = all.some((r) => r.state === "retiring");
  const candidates = all.filter((r) => r.state === "pending" || (r.state === "current" && retiring));
  for (const root of candidates) {
    if (root.rotationId === undefined) continue;
    const record = await ledger.getRequest(root.rotationId);
    if (record?.kind !== "rotation") continue;
    if ((await instanceStatus(client, record.instanceId)) !== "Completed") return record.instanceId;
  }
  return undefined;
}

/** Bound on rotations away from one root (each cancelled one takes a number). */
const MAX_ATTEMPTS = 1000;

/** The instance to run: an unfinished one, else the first attempt away from the current root that has not completed. */
async function nextInstanceId(client: DurableClient): Promise<string> {
  const unfinished = await unfinishedRotation(client);
  if (unfinished !== undefined) return unfinished;
  const root = (await services().roots.current()).name;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const instanceId = rotationInstanceId(root, attempt);
    if ((await instanceStatus(client, instanceId)) !== "Completed") return instanceId;
  }
  throw new Error(`more than ${MAX_ATTEMPTS} rotations away from root ${root} have run`);
}

/**
 * Starts a rotation at `now`, or joins the one that runs (`started: false`). A rotation that failed is started again
 * under its own id and resumes (its steps are idempotent and keyed on its rotation id).
 */
export async function startRootRotation(
  client: DurableClient,
  submission: RotationSubmission,
  now: Date,
): Promise<RotationStarted> {
  const { config, ledger } = services();
  const running = await runningRotation(client);
  const instanceId = running?.instanceId ?? (await nextInstanceId(client));
  const requestId = publicRequestId(instanceId);
  const record: RequestRecordInput = {
    kind: "rotation",
    upn: "",
    submittedBy: submission.actor,
    ...(submission.submitterObjectId === undefined ? {} : { submitterObjectId: submission.submitterObjectId }),
    createdAt: now.toISOString(),
  };
  let started = false;
  if (running === undefined) {
    const input: RotationInput = {
      rotationId: requestId,
      trigger: submission.trigger,
      actor: submission.actor,
      reason: submission.reason,
      requestedAt: now.toISOString(),
      gatewayIds: config.GATEWAY_RESOURCE_IDS,
      settings: rotationSettings(config),
      // The instance writes its record first: the write below may fail after the start.
      record,
      revision: ROTATION_REVISION,
    };
    started = (await startOnce(client, ROOT_ROTATION_ORCHESTRATION, instanceId, input)) !== "existing";
  }
  await ledger.recordRequest(requestRecordOf(instanceId, record));
  const audited = { rotationId: requestId, ...submission, requestedAt: now.toISOString() };
  const accepted = rotationAcceptedAudit(audited);
  await ledger.appendAudit(
    started
      ? accepted
      : { ...accepted, id: `${requestId}:repeated:${audited.requestedAt}`, action: "rotation.repeated" },
  );
  return { requestId, instanceId, started };
}
