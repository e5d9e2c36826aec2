// Storage queue triggers as the Functions host runs them (Storage queues extension 5.x QueueListener/QueueProcessor):
// poll the queue with the real @azure/storage-queue client (Azurite here), backing off from 100 ms to
// maxPollingInterval while it is empty, and polling again once no more than newBatchThreshold messages still run;
// fetch up to batchSize messages, each hidden for 10 minutes while it runs (renewed halfway); decode the text (base64
// by default); invoke the function with the text and the trigger metadata (DequeueCount, Id, InsertionTime,
// ExpirationTime, NextVisibleTime, PopReceipt, QueueTrigger); on success delete it; on failure make it visible again
// after visibilityTimeout, or, once it has been dequeued maxDequeueCount times, copy it to <queue>-poison (created
// when missing) and delete it. A message that does not decode goes to the poison queue: the extension handles the
// SDK's MessageDecodingFailed so; that the function is never invoked for it is a guess (the harsher plausible one).
// Polling runs on real time, not the host's Clock: Azurite keeps visibility and expiry on the wall clock.
import { QueueServiceClient, RestError } from "@azure/storage-queue";
import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import type { RegisteredFunction } from "./contracts";
import type { QueuesSettings } from "./host-json-queues";
import { firstLine } from "./invoker";
import type { HostLog, WorkerInvoker } from "./invoker";
import type { RpcTypedData } from "./rpc";

/** The visibility a received message gets while its invocation runs (the extension's fixed 10 minutes). */
const PROCESSING_VISIBILITY_SECONDS = 600;
const MIN_POLLING_MS = 100;
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export interface QueueTriggerFunction {
  readonly name: string;
  readonly queueName: string;
  readonly poisonQueueName: string;
  readonly connectionString: string;
}

/**
 * Reads a queue trigger at startup: "%NAME%" in queueName resolved from app settings (an unset one fails, as on the
 * host), the name checked against the service's rules. Undefined (no listener) when the connection setting is unset.
 */
export function prepareQueueTrigger(
  registered: RegisteredFunction,
  resolveSetting: (name: string) => string | undefined,
): QueueTriggerFunction | undefined {
  const { trigger } = registered;
  const rawName = trigger.queueName;
  if (typeof rawName !== "string") throw new Error(`queue function "${registered.name}" has no queueName`);
  const queueName = rawName
    .replace(/%([^%]+)%/g, (_whole, name: string) => {
      const value = resolveSetting(name);
      if (value === undefined) throw new Error(`queue function "${registered.name}": app setting "${name}" is not set`);
      return value;
    })
    .toLowerCase();
  if (!QUEUE_NAME.test(queueName)) {
    throw new Error(`queue function "${registered.name}": "${queueName}" is not a valid queue name`);
  }
  const connectionName = typeof trigger.connection === "string" ? trigger.connection : "AzureWebJobsStorage";
  const connectionString = resolveSetting(connectionName) ?? resolveSetting(`AzureWebJobs${connectionName}`);
  if (connectionString === undefined || connectionString === "") return undefined;
  return { name: registered.name, queueName, poisonQueueName: `${queueName}-poison`, connectionString };
}

export interface QueueListenerOptions {
  readonly invoker: WorkerInvoker;
  readonly settings: QueuesSettings;
  readonly log: HostLog;
  /** Registers background work so the host can wait for it. */
  readonly track: (work: Promise<void>) => void;
}

/** One polling loop per queue function. */
export class QueueListener {
  readonly #options: QueueListenerOptions;
  readonly #fn: QueueTriggerFunction;
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(fn: QueueTriggerFunction, options: QueueListenerOptions) {
    this.#fn = fn;
    this.#options = options;
    const service = QueueServiceClient.fromConnectionString(fn.connectionString, { retryOptions: { maxTries: 2 } });
    this.#queue = service.getQueueClient(fn.queueName);
    this.#poison = service.getQueueClient(fn.poisonQueueName);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and waits for the batch that is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /**
   * Polls while no more than newBatchThreshold messages are running (so up to batchSize + newBatchThreshold run at
   * once, as on the host); after an empty poll or a failed one, waits with backoff.
   */
  async #run(): Promise<void> {
    const { settings } = this.#options;
    const running = new Set<Promise<void>>();
    let delay = MIN_POLLING_MS;
    while (!this.#stopped) {
      if (running.size > settings.newBatchThreshold) {
        await Promise.race(running);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        messages = await this.#receive();
      } catch (error) {
        this.#options.log(`Queue '${this.#fn.queueName}' (${this.#fn.name}): poll failed: ${firstLine(error)}`);
      }
      for (const message of messages) {
        const work: Promise<void> = this.#process(message).finally(() => running.delete(work));
        running.add(work);
        this.#options.track(work);
      }
      if (messages.length > 0) {
        delay = MIN_POLLING_MS;
        continue;
      }
      await this.#sleep(delay);
      delay = Math.min(delay * 2, settings.maxPollingIntervalMs);
    }
    await Promise.all(running);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** One poll: up to batchSize messages, each hidden while it runs. A missing queue is an empty one. */
  async #receive(): Promise<DequeuedMessageItem[]> {
    try {
      const answer = await this.#queue.receiveMessages({
        numberOfMessages: this.#options.settings.batchSize,
        visibilityTimeout: PROCESSING_VISIBILITY_SECONDS,
      });
      return answer.receivedMessageItems;
    } catch (error) {
      // The extension treats a missing queue as an empty one (it never creates the trigger's queue).
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { settings } = this.#options;
    const where = `message ${message.messageId} of '${this.#fn.queueName}'`;
    try {
      if (message.dequeueCount > settings.maxDequeueCount) {
        // Dequeued more often than allowed without a verdict (a host stopped mid-invocation): poison, untried.
        await this.#moveToPoison(message, `it was dequeued ${message.dequeueCount} times`);
        return;
      }
      const text = decode(message.messageText, settings.messageEncoding);
      if (text === undefined) {
        await this.#moveToPoison(message, "its text is not valid base64 (host.json messageEncoding is base64)");
        return;
      }
      const receipt = { popReceipt: message.popReceipt };
      const renewal = setInterval(
        () => {
          this.#queue
            .updateMessage(message.messageId, receipt.popReceipt, undefined, PROCESSING_VISIBILITY_SECONDS)
            .then((answer) => {
              if (answer.popReceipt !== undefined) receipt.popReceipt = answer.popReceipt;
            })
            .catch((error: unknown) => {
              this.#options.log(`Queue: could not renew the visibility of ${where}: ${firstLine(error)}`);
            });
        },
        (PROCESSING_VISIBILITY_SECONDS * 1000) / 2,
      );
      let failure: unknown;
      try {
        await this.#options.invoker.invokeRpc(
          this.#fn.name,
          { string: text },
          { triggerMetadata: triggerMetadata(message, text) },
        );
      } catch (error) {
        failure = error ?? new Error("the function failed");
      } finally {
        clearInterval(renewal);
      }
      const current = { ...message, popReceipt: receipt.popReceipt };
      if (failure === undefined) {
        await this.#queue.deleteMessage(message.messageId, receipt.popReceipt);
      } else if (message.dequeueCount >= settings.maxDequeueCount) {
        await this.#moveToPoison(current, `it failed on each of its ${message.dequeueCount} dequeues`);
      } else {
        await this.#queue.updateMessage(
          message.messageId,
          receipt.popReceipt,
          undefined,
          Math.ceil(settings.visibilityTimeoutMs / 1000),
        );
      }
    } catch (error) {
      // Lost pop receipt or storage fault: the message comes back when its visibility ends, as on the host.
      this.#options.log(`Queue: ${where}: ${firstLine(error)}`);
    }
  }

  async #moveToPoison(message: DequeuedMessageItem, why: string): Promise<void> {
    this.#options.log(
      `Queue: moving message ${message.messageId} of '${this.#fn.queueName}' to '${this.#fn.poisonQueueName}' (${this.#fn.name}): ${why}`,
    );
    await this.#poison.createIfNotExists();
    // The text as it was on the queue (still encoded), so the poison message reads as the original did.
    await this.#poison.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, message.popReceipt);
  }
}

/** The message's text, or undefined when base64 is expected and it is not base64. */
export function decode(messageText: string, encoding: QueuesSettings["messageEncoding"]): string | undefined {
  if (encoding === "none") return messageText;
  const compact = messageText.trim();
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, "base64").toString("utf8");
}

/** The queue trigger's metadata as the extension sends it (PascalCase; the library camel-cases the keys). */
function triggerMetadata(message: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
  const date = (value: Date): RpcTypedData => ({ json: JSON.stringify(value.toISOString()) });
  return {
    QueueTrigger: { string: text },
    DequeueCount: { int: message.dequeueCount },
    Id: { string: message.messageId },
    PopReceipt: { string: message.popReceipt },
    InsertionTime: date(message.insertedOn),
    ExpirationTime: date(message.expiresOn),
    NextVisibleTime: date(message.nextVisibleOn),
  };
}
