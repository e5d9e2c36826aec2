// The delivery's pure rules: names carry the request id and nothing of the user, the expiry stays within 1-72 hours,
// a download's SAS never outlives the delivery, the one-time token is random, stored only as its hash and compared in
// constant time, and the offered file name cannot break out of its header.
import {
  DOWNLOAD_SAS_MS,
  deliveryBlobName,
  deliveryExpiry,
  deliveryFileName,
  deliverySecretName,
  downloadSasExpiry,
  downloadTokenHash,
  downloadTokenMatches,
  newDownloadToken,
} from "../../../src/domain/delivery";

const requestId = "0123456789abcdef0123456789abcdef";
const start = new Date("2026-12-06T12:00:00Z");

describe("delivery names", () => {
  it("names the secret and the blob after the request id only", () => {
    expect(deliverySecretName(requestId)).toBe(`p2s-delivery-${requestId}`);
    expect(deliverySecretName(requestId)).toMatch(/^[0-9a-zA-Z-]{1,127}$/);
    expect(deliveryBlobName(requestId)).toBe(`${requestId}.p12`);
  });

  it("refuses anything but a request id", () => {
    for (const bad of ["", "alice@contoso.com", `${requestId}0`, requestId.toUpperCase(), "../x"]) {
      expect(() => deliverySecretName(bad)).toThrow(/request id/);
      expect(() => deliveryBlobName(bad)).toThrow(/request id/);
    }
  });

  it("offers the file under the UPN's local part, with nothing that could end the header", () => {
    expect(deliveryFileName("alice@contoso.com")).toBe("alice.p12");
    expect(deliveryFileName('a"b\\c;d@contoso.com')).toBe("a_b_c_d.p12");
    expect(deliveryFileName("@contoso.com")).toBe("certificate.p12");
  });

  it("offers at most 64 characters of the local part", () => {
    expect(deliveryFileName(`${"a".repeat(64)}b@contoso.com`)).toBe(`${"a".repeat(64)}.p12`);
  });
});

describe("delivery times", () => {
  it("expires DELIVERY_LINK_HOURS after the start, 1 to 72 hours", () => {
    expect(deliveryExpiry(start, 72).toISOString()).toBe("2026-12-09T12:00:00.000Z");
    expect(deliveryExpiry(start, 1).toISOString()).toBe("2026-12-06T13:00:00.000Z");
    for (const hours of [0, 73, 1.5, -1]) expect(() => deliveryExpiry(start, hours)).toThrow(/1 to 72 hours/);
  });

  it("gives a download's SAS two minutes, never past the delivery's expiry", () => {
    const later = new Date(start.getTime() + 3_600_000);
    expect(downloadSasExpiry(start, later).getTime()).toBe(start.getTime() + DOWNLOAD_SAS_MS);
    expect(DOWNLOAD_SAS_MS).toBe(120_000);
    const soon = new Date(start.getTime() + 30_000);
    expect(downloadSasExpiry(start, soon)).toEqual(soon);
  });
});

describe("one-time download token", () => {
  it("is 256 random bits, URL-safe, and stored only as its SHA-256", () => {
    const a = newDownloadToken();
    const b = newDownloadToken();
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toBe(downloadTokenHash(a.token));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toContain(a.token);
  });

  it("matches only its own token, and never without a stored hash", () => {
    const { token, hash } = newDownloadToken();
    expect(downloadTokenMatches(token, hash)).toBe(true);
    expect(downloadTokenMatches(newDownloadToken().token, hash)).toBe(false);
    expect(downloadTokenMatches(token, undefined)).toBe(false);
    expect(downloadTokenMatches(token, "")).toBe(false);
    expect(downloadTokenMatches(token, hash.slice(2))).toBe(false);
    expect(downloadTokenMatches(hash, hash)).toBe(false);
  });

  it("answers no match, without throwing, for a stored hash with anything before or after its 64 hex digits", () => {
    const { token, hash } = newDownloadToken();
    for (const stored of [`${hash}0`, `${hash}00`, `0${hash}`, `00${hash}`, `x${hash}`, `${hash}x`]) {
      expect(downloadTokenMatches(token, stored)).toBe(false);
    }
  });
});
