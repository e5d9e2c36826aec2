// host.json extensions.queues as the Storage queues extension reads it: defaults, TimeSpans, app-setting overrides.
import { queuesSettings, timeSpanMs } from "../../dev/host/host-json-queues";
import { decode } from "../../dev/host/queue-listener";

describe("queuesSettings", () => {
  it("has the extension's defaults (maxPollingInterval: the Development environment's 2 s)", () => {
    expect(queuesSettings(undefined, {})).toEqual({
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 2000,
      messageEncoding: "base64",
    });
  });

  it("reads host.json, case-insensitively, and lets app settings override it", () => {
    const fromFile = queuesSettings(
      { BatchSize: 8, maxDequeueCount: 3, visibilityTimeout: "00:00:30", messageEncoding: "none" },
      { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: "7" },
    );
    expect(fromFile).toMatchObject({
      batchSize: 8,
      newBatchThreshold: 4,
      maxDequeueCount: 7,
      visibilityTimeoutMs: 30_000,
      messageEncoding: "none",
    });
  });

  it("refuses what the host refuses", () => {
    expect(() => queuesSettings({ batchSize: 33 }, {})).toThrow(/batchSize must be an integer from 1 to 32/);
    expect(() => queuesSettings({ maxDequeueCount: 0 }, {})).toThrow(/maxDequeueCount/);
    expect(() => queuesSettings({ visibilityTimeout: 30 }, {})).toThrow(/TimeSpan/);
    expect(() => queuesSettings({ maxPollingInterval: "00:00:00.05" }, {})).toThrow(/at least/);
    expect(() => queuesSettings({ messageEncoding: "utf8" }, {})).toThrow(/messageEncoding/);
  });
});

it("parses .NET TimeSpans", () => {
  expect(timeSpanMs("00:00:30")).toBe(30_000);
  expect(timeSpanMs("1.02:03:04.5")).toBe(((24 + 2) * 3600 + 3 * 60 + 4) * 1000 + 500);
  expect(timeSpanMs("00:61:00")).toBeUndefined();
  expect(timeSpanMs("30s")).toBeUndefined();
});

it("decodes base64 message text strictly, and passes plain text through with messageEncoding none", () => {
  expect(decode(Buffer.from('{"a":1}').toString("base64"), "base64")).toBe('{"a":1}');
  expect(decode('{"a":1}', "base64")).toBeUndefined();
  expect(decode("abc", "base64")).toBeUndefined();
  expect(decode('{"a":1}', "none")).toBe('{"a":1}');
});
