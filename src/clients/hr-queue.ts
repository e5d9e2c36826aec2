// The HR events poison queue (<HR_EVENTS_QUEUE>-poison), written by hrEvents itself for a message that can never
// succeed, so the host does not retry it. The text is base64, as the host's messageEncoding expects and as the host
// itself writes poison messages.
import { QueueServiceClient } from "@azure/storage-queue";
import type { Config } from "../config";
import { getCredential } from "./credential";

type QueueConfig = Pick<
  Config,
  | "AzureWebJobsStorage"
  | "AzureWebJobsStorage__queueServiceUri"
  | "HR_EVENTS_QUEUE"
  | "P2S_CREDENTIAL"
  | "AZURE_CLIENT_ID"
>;

export function hrPoisonQueueName(config: Pick<Config, "HR_EVENTS_QUEUE">): string {
  return `${config.HR_EVENTS_QUEUE}-poison`;
}

function queueServiceClient(config: QueueConfig): QueueServiceClient {
  if (config.AzureWebJobsStorage !== undefined)
    return QueueServiceClient.fromConnectionString(config.AzureWebJobsStorage);
  const uri = config.AzureWebJobsStorage__queueServiceUri;
  if (uri === undefined) {
    throw new Error("AzureWebJobsStorage__queueServiceUri is required for HR events with identity-based storage");
  }
  return new QueueServiceClient(uri, getCredential(config));
}

/** Puts `text` on the poison queue (created when missing). */
export async function sendToHrPoisonQueue(config: QueueConfig, text: string): Promise<void> {
  const poison = queueServiceClient(config).getQueueClient(hrPoisonQueueName(config));
  await poison.createIfNotExists();
  await poison.sendMessage(Buffer.from(text, "utf8").toString("base64"));
}
