import { assertSerialNumber, generateSerialNumber } from "../../../src/domain/serial-number";
import { checkValidity, clientValidity, rootValidity } from "../../../src/domain/validity";

describe("generateSerialNumber", () => {
  it("gives 16 octets, positive, minimally encoded, with at least 64 random bits", () => {
    const serials = Array.from({ length: 200 }, () => generateSerialNumber());
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9A-F]{32}$/);
      const first = parseInt(serial.slice(0, 2), 16);
      expect(first & 0x80).toBe(0); // positive
      expect(first).toBeGreaterThanOrEqual(0x40); // no leading zero octet: exactly 16 octets in DER
      expect(assertSerialNumber(serial)).toBe(serial);
    }
    expect(new Set(serials).size).toBe(serials.length);
    // 126 random bits: across 200 serials every one of the 32 hex positions after the first varies.
    for (let i = 2; i < 32; i++) expect(new Set(serials.map((s) => s[i])).size).toBeGreaterThan(1);
  });

  it("fixes up the first byte of any random source", () => {
    expect(generateSerialNumber(() => new Uint8Array(16).fill(0xff))).toBe(`7F${"FF".repeat(15)}`);
    expect(generateSerialNumber(() => new Uint8Array(16))).toBe(`40${"00".repeat(15)}`);
    expect(() => generateSerialNumber(() => new Uint8Array(8))).toThrow("random source returned 8 bytes");
  });
});

describe("assertSerialNumber", () => {
  it.each([
    ["80".repeat(16), "positive"],
    [`00${"7F".repeat(15)}`, "zero byte"],
    ["7F".repeat(7), "7 octets"],
    ["7F".repeat(21), "21 octets"],
    ["ABC", "even number of hex digits"],
  ])("refuses %s", (serial, reason) => {
    expect(() => assertSerialNumber(serial)).toThrow(reason);
  });
});

describe("assertSerialNumber, what it takes", () => {
  it("takes 8 to 20 positive octets in either case and gives them in upper case", () => {
    expect(assertSerialNumber("7f".repeat(8))).toBe("7F".repeat(8));
    expect(assertSerialNumber(`01${"ab".repeat(19)}`)).toBe(`01${"AB".repeat(19)}`);
  });
});

describe("validity helpers", () => {
  const now = new Date("2025-01-31T10:20:30.456Z");

  it("backdates notBefore by the clock skew and cuts to whole seconds", () => {
    const v = clientValidity(now, 30);
    expect(v.notBefore.toISOString()).toBe("2025-01-31T10:15:30.000Z");
    expect(v.notAfter.toISOString()).toBe("2025-03-02T10:15:30.000Z");
    expect(clientValidity(now, 1, { clockSkewMinutes: 0 }).notBefore.toISOString()).toBe("2025-01-31T10:20:30.000Z");
  });

  it("gives roots calendar years, into GeneralizedTime territory", () => {
    const v = rootValidity(now, 30);
    expect(v.notAfter.toISOString()).toBe("2055-01-31T10:15:30.000Z");
  });

  it("refuses nonsense", () => {
    expect(() => clientValidity(now, 0)).toThrow("client validity days must be 1-3650");
    expect(() => clientValidity(now, 1.5)).toThrow("client validity days");
    expect(() => rootValidity(now, 31)).toThrow("root validity years must be 1-30");
    expect(() => clientValidity(new Date(NaN), 1)).toThrow("invalid date");
    expect(() => clientValidity(now, 1, { clockSkewMinutes: -1 })).toThrow("clock skew");
    expect(() => checkValidity({ notBefore: now, notAfter: now })).toThrow("before it starts");
    const whole = new Date("2025-01-01T00:00:00Z");
    expect(() => checkValidity({ notBefore: whole, notAfter: new Date(whole.getTime() + 1500) })).toThrow(
      "whole seconds",
    );
  });

  it("takes the whole documented ranges and names the value it refuses", () => {
    expect(clientValidity(now, 3650).notAfter.toISOString()).toBe("2035-01-29T10:15:30.000Z");
    expect(() => clientValidity(now, 3651)).toThrow("client validity days must be 1-3650, got 3651");
    expect(rootValidity(now, 1).notAfter.toISOString()).toBe("2026-01-31T10:15:30.000Z");
    expect(() => rootValidity(now, 0)).toThrow("root validity years must be 1-30, got 0");
    expect(() => rootValidity(now, 2.5)).toThrow("root validity years must be 1-30, got 2.5");
    expect(clientValidity(now, 1, { clockSkewMinutes: 1440 }).notBefore.toISOString()).toBe("2025-01-30T10:20:30.000Z");
    expect(() => clientValidity(now, 1, { clockSkewMinutes: 1441 })).toThrow(
      "clock skew must be 0-1440 minutes, got 1441",
    );
    expect(() => clientValidity(now, 1, { clockSkewMinutes: Number.NaN })).toThrow("clock skew");
    expect(() => rootValidity(new Date(NaN), 1)).toThrow("now is an invalid date");
  });

  it("cuts to the whole second below, also before 1970", () => {
    const early = new Date(-1500);
    expect(clientValidity(early, 1, { clockSkewMinutes: 0 }).notBefore.getTime()).toBe(-2000);
  });

  it("refuses invalid dates and a notBefore with a fraction of a second", () => {
    const whole = new Date("2025-01-01T00:00:00Z");
    expect(() => checkValidity({ notBefore: whole, notAfter: new Date(NaN) })).toThrow("validity has an invalid date");
    expect(() => checkValidity({ notBefore: new Date(NaN), notAfter: whole })).toThrow("validity has an invalid date");
    expect(() =>
      checkValidity({ notBefore: new Date(whole.getTime() - 1500), notAfter: new Date(whole.getTime() + 1000) }),
    ).toThrow("validity dates must be whole seconds (X.509 time has no fractions)");
    expect(() => checkValidity({ notBefore: whole, notAfter: new Date(whole.getTime() - 1000) })).toThrow(
      "validity ends (2024-12-31T23:59:59.000Z) before it starts (2025-01-01T00:00:00.000Z)",
    );
    const fine = { notBefore: whole, notAfter: new Date(whole.getTime() + 1000) };
    expect(checkValidity(fine)).toBe(fine);
  });
});
