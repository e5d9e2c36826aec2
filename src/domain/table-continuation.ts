// Continuation tokens of Azure Table queries as @azure/data-tables hands them out: base64 of JSON
// { nextPartitionKey, nextRowKey? }. A caller passes one back to get the next page; anything else is not one, and
// must be refused at the edge, since the SDK parses it without a check and a parse error would be a 500.

/** Whether `token` decodes (as the SDK decodes it: base64, bytes as Latin-1, JSON) to a continuation it made. */
export function isTableContinuationToken(token: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64").toString("latin1"));
  } catch {
    return false;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return false;
  const { nextPartitionKey, nextRowKey, ...rest } = parsed as Record<string, unknown>;
  return (
    typeof nextPartitionKey === "string" &&
    nextPartitionKey !== "" &&
    (nextRowKey === undefined || typeof nextRowKey === "string") &&
    Object.keys(rest).length === 0
  );
}
