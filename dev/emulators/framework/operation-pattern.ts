// Operation selectors shared by faults and throttles: an exact name, "*" for all, or "prefix.*" for a group.

export function matchesOperation(selector: string, operation: string): boolean {
  if (selector === "*") return true;
  if (selector.endsWith(".*")) return operation.startsWith(selector.slice(0, -1));
  return selector === operation;
}
