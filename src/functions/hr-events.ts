// Queue trigger hrEvents (queue %HR_EVENTS_QUEUE%, default hr-events): hires, terminations, rescinded terminations and
// rehires from the HR system. An invalid message can never succeed, so it is not retried: its reason is audited and
// the function puts it on the poison queue itself and completes. Anything else that fails throws, and the host
// retries it (host.json extensions.queues); the last try raises an alert before the host moves it to the poison queue.
import { createHash } from "node:crypto";
import { app } from "@azure/functions";
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { services } from "../activities/services";
import { sendAlert } from "../clients/alerts";
import { applyHrEvent, HR_ACTOR } from "../clients/hr-lifecycle";
import { sendToHrPoisonQueue } from "../clients/hr-queue";
import { HrStateTable } from "../clients/hr-state";
import { getConfig } from "../config";
import type { Config } from "../config";
import { parseHrEvent } from "../domain/hr-events";

/** host.json extensions.queues.maxDequeueCount: the try after which the host poisons a failing message. */
export const HR_MAX_DEQUEUE_COUNT = 5;

/** Audit subject of a message whose UPN could not be read. */
export const HR_UNKNOWN_SUBJECT = "hr-events";

let hrState: { config: Config; table: HrStateTable } | undefined;

function hrStateTable(config: Config): HrStateTable {
  if (hrState?.config !== config) hrState = { config, table: HrStateTable.fromConfig(config) };
  return hrState.table;
}

export async function hrEvents(message: unknown, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const { ledger } = services();
  const parsed = parseHrEvent(message, config.ALLOWED_UPN_DOMAINS);
  if (!parsed.ok) {
    const text = messageText(message, context);
    const digest = createHash("sha256").update(text).digest("hex").slice(0, 32);
    await ledger.appendAudit({
      id: `hr:${parsed.eventId ?? digest}:rejected:${digest}`,
      at: new Date(),
      actor: HR_ACTOR,
      action: "hr.event.rejected",
      subject: parsed.upn?.toLowerCase() ?? HR_UNKNOWN_SUBJECT,
      reason: parsed.reason,
      source: "hr",
      details: {
        messageId: typeof context.triggerMetadata?.id === "string" ? context.triggerMetadata.id : "",
        ...(parsed.eventId === undefined ? {} : { eventId: parsed.eventId }),
      },
    });
    await sendToHrPoisonQueue(config, text);
    context.warn(`hrEvents: message refused and put on the poison queue: ${parsed.reason}`);
    return;
  }
  const { event } = parsed;
  try {
    const outcome = await applyHrEvent(
      { client: df.getClient(context), ledger, hrState: hrStateTable(config), config, nowMs: Date.now() },
      event,
    );
    context.log(`hrEvents: ${event.type} ${event.eventId} for ${event.upn}: ${outcome.kind}: ${outcome.detail}`);
  } catch (error) {
    const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
    if (dequeueCount >= HR_MAX_DEQUEUE_COUNT) {
      const detail =
        `${event.type} ${event.eventId} for ${event.upn} failed on each of its ${dequeueCount} tries and goes to ` +
        `the poison queue: ${error instanceof Error ? error.message : String(error)}`;
      await sendAlert(config, { severity: "error", title: "HR event not applied", detail, subject: event.upn }, (l) => {
        context.warn(l);
      }).catch((alertError: unknown) => {
        context.error(`hrEvents: the alert failed too: ${String(alertError)}`);
      });
    }
    throw error;
  }
}

/** The message as it was sent (the library parsed it when it was JSON). */
function messageText(message: unknown, context: InvocationContext): string {
  const raw = context.triggerMetadata?.queueTrigger;
  if (typeof raw === "string") return raw;
  if (typeof message === "string") return message;
  return message === undefined ? "" : JSON.stringify(message);
}

app.storageQueue("hrEvents", {
  queueName: "%HR_EVENTS_QUEUE%",
  connection: "AzureWebJobsStorage",
  extraInputs: [df.input.durableClient()],
  handler: hrEvents,
});
