// Durable entities: per-entity state and a queue of operations, run one batch at a time in arrival order through the
// registered entity function (durable-functions' own Entity handler). Calls get their result back as a response
// message; signals are fire-and-forget, including the ones an entity sends to others.
import { randomUUID } from "node:crypto";
import type { Clock, FunctionInvoker } from "../host/contracts";
import { findFunction, missingFunctionMessage } from "./functions";
import { errorMessage, isRecord, toJsonText } from "./json";
import { entitySchedulerId, parseEntitySchedulerId } from "./protocol";
import type { EntityBatchResult, EntityResponseMessage } from "./protocol";
import { entityTrigger } from "./triggers";
import type { WorkItem, WorkScheduler } from "./work-scheduler";

/** Operations per invocation; the rest wait for the next batch. */
const MAX_BATCH = 50;

export interface EntityOperation {
  readonly id: string;
  readonly name: string;
  readonly signal: boolean;
  /** JSON text; undefined for no input. */
  readonly input?: string;
  /** For calls: receives the response message once the operation ran. */
  readonly reply?: (response: EntityResponseMessage) => void;
}

interface EntityRecord {
  readonly schedulerId: string;
  readonly name: string;
  readonly key: string;
  exists: boolean;
  state?: string;
  readonly queue: EntityOperation[];
  busy: boolean;
  lastOperationAtMs?: number;
}

export interface EntitySnapshot {
  readonly name: string;
  readonly key: string;
  readonly state: unknown;
  readonly lastOperationAtMs?: number;
}

export interface EntityEngineDeps {
  readonly invoker: FunctionInvoker;
  readonly clock: Clock;
  readonly work: () => WorkScheduler;
  readonly log: (line: string) => void;
}

function errorResponse(message: string): EntityResponseMessage {
  return { result: toJsonText(message), exceptionType: "Error" };
}

function readBatchResult(value: unknown): EntityBatchResult {
  if (!isRecord(value) || typeof value.entityExists !== "boolean" || !Array.isArray(value.results)) {
    throw new Error(`the entity function returned ${JSON.stringify(value)}, not an entity state`);
  }
  return {
    entityExists: value.entityExists,
    ...(typeof value.entityState === "string" ? { entityState: value.entityState } : {}),
    results: value.results as EntityBatchResult["results"],
    signals: Array.isArray(value.signals) ? (value.signals as EntityBatchResult["signals"]) : [],
  };
}

export class EntityEngine {
  readonly #deps: EntityEngineDeps;
  readonly #entities = new Map<string, EntityRecord>();

  constructor(deps: EntityEngineDeps) {
    this.#deps = deps;
  }

  /** Whether an entity function with this name is registered. */
  hasEntityFunction(name: string): boolean {
    return findFunction(this.#deps.invoker, name, "entityTrigger") !== undefined;
  }

  /** Queues an operation for `schedulerId` (`@name@key`), creating the entity record on first use. */
  enqueue(schedulerId: string, operation: EntityOperation): void {
    let record = this.#entities.get(schedulerId);
    if (record === undefined) {
      const parsed = parseEntitySchedulerId(schedulerId);
      if (parsed === undefined) {
        operation.reply?.(errorResponse(`'${schedulerId}' is not an entity id`));
        return;
      }
      record = { schedulerId, name: parsed.name, key: parsed.key, exists: false, queue: [], busy: false };
      this.#entities.set(schedulerId, record);
    }
    record.queue.push(operation);
    this.#deps.work().requestPump();
  }

  signal(name: string, key: string, operation: string, input: string | undefined): void {
    this.enqueue(entitySchedulerId(name, key), {
      id: randomUUID(),
      name: operation,
      signal: true,
      ...(input === undefined ? {} : { input }),
    });
  }

  /** The entity's state (JSON text), or undefined when it does not exist. */
  read(name: string, key: string): { exists: boolean; state?: string } {
    const record = this.#entities.get(entitySchedulerId(name, key));
    if (record?.exists !== true) return { exists: false };
    return { exists: true, ...(record.state === undefined ? {} : { state: record.state }) };
  }

  list(name: string | undefined): EntitySnapshot[] {
    const wanted = name?.toLowerCase();
    return [...this.#entities.values()]
      .filter((record) => record.exists && (wanted === undefined || record.name === wanted))
      .map((record) => ({
        name: record.name,
        key: record.key,
        state: record.state === undefined ? null : (JSON.parse(record.state) as unknown),
        ...(record.lastOperationAtMs === undefined ? {} : { lastOperationAtMs: record.lastOperationAtMs }),
      }));
  }

  findWork(): WorkItem[] {
    const items: WorkItem[] = [];
    for (const record of this.#entities.values()) {
      if (record.busy || record.queue.length === 0) continue;
      record.busy = true;
      items.push({ description: `entity ${record.schedulerId}`, run: () => this.#runBatch(record) });
    }
    return items;
  }

  async #runBatch(record: EntityRecord): Promise<void> {
    const operations = record.queue.splice(0, MAX_BATCH);
    try {
      await this.#invoke(record, operations);
    } finally {
      record.busy = false;
      if (!record.exists && record.queue.length === 0) this.#entities.delete(record.schedulerId);
      this.#deps.work().requestPump();
    }
  }

  async #invoke(record: EntityRecord, operations: EntityOperation[]): Promise<void> {
    const fn = findFunction(this.#deps.invoker, record.name, "entityTrigger");
    if (fn === undefined) {
      const message = missingFunctionMessage(record.name, "entityTrigger");
      this.#deps.log(`durable: ${message} (${operations.length} operation(s) to ${record.schedulerId} dropped)`);
      for (const operation of operations) operation.reply?.(errorResponse(message));
      return;
    }
    const trigger = entityTrigger({
      name: record.name,
      key: record.key,
      exists: record.exists,
      ...(record.state === undefined ? {} : { state: record.state }),
      batch: operations,
    });
    let result: EntityBatchResult;
    try {
      result = readBatchResult((await this.#deps.invoker.invoke(fn.name, trigger)).returnValue);
    } catch (error) {
      const message = `Entity '${record.schedulerId}' failed: ${errorMessage(error)}`;
      this.#deps.log(`durable: ${message}`);
      for (const operation of operations) operation.reply?.(errorResponse(message));
      return;
    }
    record.exists = result.entityExists;
    if (result.entityExists && result.entityState !== undefined) record.state = result.entityState;
    else delete record.state;
    record.lastOperationAtMs = this.#deps.clock.now();
    operations.forEach((operation, index) => {
      const outcome = result.results[index];
      if (operation.reply === undefined) return;
      if (outcome === undefined) operation.reply({});
      else if (outcome.isError) operation.reply({ result: outcome.result ?? toJsonText(null), exceptionType: "Error" });
      else operation.reply(outcome.result === undefined ? {} : { result: outcome.result });
    });
    for (const signal of result.signals) {
      this.enqueue(entitySchedulerId(signal.target.name, signal.target.key), {
        id: signal.requestId === "" ? randomUUID() : signal.requestId,
        name: signal.name,
        signal: true,
        ...(signal.input === "" ? {} : { input: signal.input }),
      });
    }
  }
}
