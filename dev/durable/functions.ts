// Finds registered durable functions by name and trigger type; function names are case-insensitive in Functions.
import type { FunctionInvoker, RegisteredFunction } from "../host/contracts";

export type DurableTriggerType = "orchestrationTrigger" | "activityTrigger" | "entityTrigger";

const KIND: Record<DurableTriggerType, string> = {
  orchestrationTrigger: "orchestrator",
  activityTrigger: "activity",
  entityTrigger: "entity",
};

export function findFunction(
  invoker: FunctionInvoker,
  name: string,
  triggerType: DurableTriggerType,
): RegisteredFunction | undefined {
  const wanted = name.toLowerCase();
  return invoker
    .functions()
    .find((fn) => fn.name.toLowerCase() === wanted && fn.trigger.type.toLowerCase() === triggerType.toLowerCase());
}

/** The extension's wording when a durable call names no such function. */
export function missingFunctionMessage(name: string, triggerType: DurableTriggerType): string {
  return `The function '${name}' doesn't exist, is disabled, or is not an ${KIND[triggerType]} function.`;
}
