// The emulator's state: gateways, their sessions and the long-running operations that occupy them. Operations end
// lazily: every read or write first settles what is due by the clock, so there are no timers to leak and a virtual
// clock drives everything.
import { randomUUID } from "node:crypto";
import { ArmError } from "./arm-error";
import type { GatewayRecord } from "./gateway-record";
import { stringAt } from "./json";
import type { JsonObject } from "./json";
import type { GatewayOperation, LongRunningName, OperationFailure, OperationOutcome } from "./operation";
import { gatewayId, gatewayKey } from "./resource-id";
import type { GatewayRef } from "./resource-id";

export interface GatewayStoreTiming {
  clock: () => number;
  /** How long each long-running operation stays InProgress. */
  operationDurationMs: number;
  /** How long after an operation ends the gateway still refuses writes with AnotherOperationInProgress. */
  conflictTailMs: number;
  /**
   * How many writes and actions the gateway still refuses after an operation ends, however late they come: the same
   * refusal as the timed tail, counted instead of timed, so a test can place it without racing the clock.
   */
  conflictTailRefusals: number;
}

// Ended operations are kept this long so late polls still find them.
const ENDED_OPERATION_RETENTION_MS = 60 * 60 * 1000;

export class GatewayStore {
  private readonly gateways = new Map<string, GatewayRecord>();
  private readonly operations = new Map<string, GatewayOperation>();
  private readonly plannedFailures = new Map<string, OperationFailure[]>();

  constructor(readonly timing: GatewayStoreTiming) {}

  now(): number {
    return this.timing.clock();
  }

  /** Ends every operation whose time has come, applying its effect. */
  settle(): void {
    const now = this.now();
    for (const [id, operation] of this.operations) {
      if (operation.status === "InProgress" && now >= operation.endsAtMs) {
        if (operation.plannedFailure === undefined) {
          operation.outcome = operation.succeed(now);
          operation.status = "Succeeded";
        } else {
          operation.fail();
          operation.error = operation.plannedFailure;
          operation.status = "Failed";
        }
      } else if (operation.status !== "InProgress" && now - operation.endsAtMs > ENDED_OPERATION_RETENTION_MS) {
        this.operations.delete(id);
      }
    }
  }

  find(ref: GatewayRef): GatewayRecord | undefined {
    this.settle();
    return this.gateways.get(gatewayKey(ref));
  }

  /** The gateway or an ARM 404, as GET and the actions answer for a missing resource. */
  require(ref: GatewayRef): GatewayRecord {
    const record = this.find(ref);
    if (record === undefined) {
      throw new ArmError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.Network/virtualNetworkGateways/${ref.name}' under resource group '${ref.resourceGroup}' was not found.`,
      );
    }
    return record;
  }

  list(subscriptionId: string, resourceGroup: string): GatewayRecord[] {
    this.settle();
    const sub = subscriptionId.toLowerCase();
    const rg = resourceGroup.toLowerCase();
    return [...this.gateways.values()].filter(
      (g) => g.ref.subscriptionId.toLowerCase() === sub && g.ref.resourceGroup.toLowerCase() === rg,
    );
  }

  all(): GatewayRecord[] {
    this.settle();
    return [...this.gateways.values()];
  }

  /** Creates the record for a new gateway, or replaces the stored object of an existing one. */
  upsert(ref: GatewayRef, resource: JsonObject, provisioningState: GatewayRecord["provisioningState"]): GatewayRecord {
    const key = gatewayKey(ref);
    const existing = this.gateways.get(key);
    if (existing !== undefined) {
      existing.resource = resource;
      existing.provisioningState = provisioningState;
      existing.etag = newEtag();
      return existing;
    }
    const record: GatewayRecord = {
      ref,
      id: gatewayId(ref),
      resource,
      etag: newEtag(),
      resourceGuid: randomUUID(),
      provisioningState,
      sessions: new Map(),
      profileUrl: undefined,
    };
    this.gateways.set(key, record);
    return record;
  }

  remove(ref: GatewayRef): boolean {
    return this.gateways.delete(gatewayKey(ref));
  }

  /**
   * The operation occupying the gateway (running, or ended within the conflict tail), if any. `refusing`: the caller
   * refuses a write or action because of it, which uses up one of a counted tail's refusals.
   */
  occupying(record: GatewayRecord, refusing = false): GatewayOperation | undefined {
    this.settle();
    const key = gatewayKey(record.ref);
    const now = this.now();
    for (const operation of this.operations.values()) {
      if (operation.gatewayKey !== key || operation.refusal) continue;
      if (operation.status === "InProgress" || now < operation.endsAtMs + this.timing.conflictTailMs) return operation;
      if (operation.tailRefusals > 0) {
        if (refusing) operation.tailRefusals -= 1;
        return operation;
      }
    }
    return undefined;
  }

  operation(id: string): GatewayOperation | undefined {
    this.settle();
    return this.operations.get(id.toLowerCase());
  }

  planFailure(ref: GatewayRef, failure: OperationFailure): void {
    const key = gatewayKey(ref);
    const queue = this.plannedFailures.get(key) ?? [];
    queue.push(failure);
    this.plannedFailures.set(key, queue);
  }

  start(
    record: GatewayRecord,
    name: LongRunningName,
    apiVersion: string,
    effects: { succeed: (nowMs: number) => OperationOutcome; fail?: () => void },
  ): GatewayOperation {
    const key = gatewayKey(record.ref);
    const startedAtMs = this.now();
    const operation: GatewayOperation = {
      id: randomUUID(),
      name,
      gatewayKey: key,
      gatewayId: record.id,
      subscriptionId: record.ref.subscriptionId,
      location: normaliseLocation(stringAt(record.resource, "location") ?? "westeurope"),
      apiVersion,
      startedAtMs,
      endsAtMs: startedAtMs + this.timing.operationDurationMs,
      refusal: false,
      tailRefusals: this.timing.conflictTailRefusals,
      plannedFailure: this.plannedFailures.get(key)?.shift(),
      succeed: effects.succeed,
      fail:
        effects.fail ??
        (() => {
          /* actions other than PUT leave the gateway as it was */
        }),
      status: "InProgress",
      outcome: undefined,
      error: undefined,
    };
    this.operations.set(operation.id, operation);
    return operation;
  }

  /** The operations of one gateway still kept (ended ones for an hour), oldest first. */
  operationsOf(record: GatewayRecord): GatewayOperation[] {
    this.settle();
    const key = gatewayKey(record.ref);
    return [...this.operations.values()].filter((o) => o.gatewayKey === key);
  }

  /** Records a request refused for a busy gateway as an operation that has already failed (see conflict.ts). */
  refuse(record: GatewayRecord, name: LongRunningName, apiVersion: string, error: OperationFailure): GatewayOperation {
    const now = this.now();
    const operation: GatewayOperation = {
      id: randomUUID(),
      name,
      gatewayKey: gatewayKey(record.ref),
      gatewayId: record.id,
      subscriptionId: record.ref.subscriptionId,
      location: normaliseLocation(stringAt(record.resource, "location") ?? "westeurope"),
      apiVersion,
      startedAtMs: now,
      endsAtMs: now,
      refusal: true,
      tailRefusals: 0,
      plannedFailure: undefined,
      succeed: () => ({ status: 200, body: undefined }),
      fail: () => undefined,
      status: "Failed",
      outcome: undefined,
      error,
    };
    this.operations.set(operation.id, operation);
    return operation;
  }

  /** Forgets every gateway, session, operation and planned failure. */
  clear(): void {
    this.gateways.clear();
    this.operations.clear();
    this.plannedFailures.clear();
  }
}

export function newEtag(): string {
  return `W/"${randomUUID()}"`;
}

/** "West Europe" -> "westeurope", the form ARM uses in operation URLs. */
export function normaliseLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}
