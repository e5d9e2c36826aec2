// The alerts route refuses a continuation token the table SDK did not make (found by the fuzzed edge: "-1" decoded to
// bytes that are not JSON, the SDK threw, and the route answered 500).
import { isTableContinuationToken } from "../../../src/domain/table-continuation";

const token = (value: unknown): string => Buffer.from(JSON.stringify(value), "latin1").toString("base64");

it("takes the SDK's tokens: nextPartitionKey, and nextRowKey when there is one", () => {
  expect(isTableContinuationToken(token({ nextPartitionKey: "timeline", nextRowKey: "0000123-abc" }))).toBe(true);
  expect(isTableContinuationToken(token({ nextPartitionKey: "timeline" }))).toBe(true);
});

it.each([
  ["not base64 of JSON", "-1"],
  ["base64 of text", Buffer.from("hello").toString("base64")],
  ["JSON that is not an object", token([1, 2])],
  ["null", token(null)],
  ["no nextPartitionKey", token({ nextRowKey: "x" })],
  ["an empty nextPartitionKey", token({ nextPartitionKey: "" })],
  ["a number for a key", token({ nextPartitionKey: 5 })],
  ["a nextRowKey that is not text", token({ nextPartitionKey: "p", nextRowKey: {} })],
  ["other fields", token({ nextPartitionKey: "p", $filter: "true" })],
  ["empty", ""],
])("refuses %s", (_name, value) => {
  expect(isTableContinuationToken(value)).toBe(false);
});
