// The HR events poison queue (<HR_EVENTS_QUEUE>-poison), written by hrEvents itself for a message that can never
// succeed, so the host does not retry it. The text is base64, as the host's messageEncoding expects and as the host
// itself writes poison messages.
import { createHash } from "node:crypto";
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

/** A Storage queue message holds at most 64 KiB of text (here: the base64 the host reads). */
export const MAX_QUEUE_MESSAGE_CHARS = 64 * 1024;
/** Characters of a too-large message's start kept in its poison note (JSON-escaped, it still fits). */
const NOTE_HEAD_CHARS = 4096;

/**
 * The poison copy of a message's text, base64. A message that arrived as UTF-8 always fits again; one that was not
 * UTF-8 can grow past the queue's limit once decoded (each stray byte becomes U+FFFD, three bytes), and its copy is
 * then a note: its SHA-256 (the audit names its first 32 hex digits), its length and its start.
 */
export function poisonMessageText(text: string): string {
  const encoded = Buffer.from(text, "utf8").toString("base64");
  if (encoded.length <= MAX_QUEUE_MESSAGE_CHARS) return encoded;
  const note = {
    truncated: true,
    sha256: createHash("sha256").update(text).digest("hex"),
    length: text.length,
    head: text.slice(0, NOTE_HEAD_CHARS),
  };
  return Buffer.from(JSON.stringify(note), "utf8").toString("base64");
}

/** Puts `text` on the poison queue (created when missing). */
export async function sendToHrPoisonQueue(config: QueueConfig, text: string): Promise<void> {
  const poison = queueServiceClient(config).getQueueClient(hrPoisonQueueName(config));
  await poison.createIfNotExists();
  await poison.sendMessage(poisonMessageText(text));
}
