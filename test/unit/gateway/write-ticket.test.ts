import { isOlderTicket, writeKey } from "../../../src/domain/gateway-write-journal";

describe("the write ticket of a writer pass", () => {
  it("is older when its pass began earlier, or in the same millisecond with a lower count", () => {
    expect(isOlderTicket({ at: 1000, seq: 9 }, { at: 1001, seq: 1 })).toBe(true);
    expect(isOlderTicket({ at: 1000, seq: 1 }, { at: 1000, seq: 2 })).toBe(true);
  });

  it("is not older than itself (the same pass delivered again) nor than an older one", () => {
    expect(isOlderTicket({ at: 1000, seq: 2 }, { at: 1000, seq: 2 })).toBe(false);
    expect(isOlderTicket({ at: 1001, seq: 1 }, { at: 1000, seq: 9 })).toBe(false);
    expect(isOlderTicket({ at: 1000, seq: 3 }, { at: 1000, seq: 2 })).toBe(false);
  });
});

describe("the key of a write", () => {
  it("is the same for a repeat from the same read, and differs by pass and by read", () => {
    const etag = "W/\"datetime'2026-12-06T10%3A00%3A00Z'\"";
    expect(writeKey("p:1", etag)).toBe(writeKey("p:1", etag));
    expect(writeKey("p:1", etag)).not.toBe(writeKey("p:2", etag));
    expect(writeKey("p:1", etag)).not.toBe(writeKey("p:1", `${etag}x`));
    expect(writeKey("p:1", etag)).toMatch(/^p:1@[0-9a-f]{16}$/);
    expect(writeKey("p:1", undefined)).toBe("p:1@no-etag");
  });
});
