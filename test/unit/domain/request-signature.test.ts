// The HMAC scheme of ticketing requests and callbacks, against a signature computed independently with openssl
// (the fixed vector pins exactly which text is signed).
import { checkSignature, signatureOf, signedHeaders } from "../../../src/domain/request-signature";

const SECRET = "0123456789abcdef0123456789abcdef";
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const TS = Math.floor(NOW / 1000);
const BODY = '{"action":"onboard","upn":"ann@contoso.com","ticketId":"INC1"}';

describe("request signatures", () => {
  it("signs '<timestamp>.<raw body>' (fixed vector computed with `openssl dgst -sha256 -hmac`)", () => {
    // printf '%s' "1796558400.{...}" | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
    expect(signatureOf(SECRET, TS, BODY)).toBe(
      "sha256=56789ef15c682d81c72d521c4303198ea02101584ea711c6d7491708797f0430",
    );
    expect(signatureOf(SECRET, TS, Buffer.from(BODY))).toBe(signatureOf(SECRET, TS, BODY));
  });

  it("accepts a fresh signature from the current or the previous secret, and says which", () => {
    const h = signedHeaders(SECRET, BODY, NOW);
    expect(checkSignature([SECRET], h["x-request-timestamp"], h["x-signature-256"], BODY, NOW)).toEqual({
      ok: true,
      secretIndex: 0,
    });
    expect(checkSignature(["x".repeat(32), SECRET], h["x-request-timestamp"], h["x-signature-256"], BODY, NOW)).toEqual(
      { ok: true, secretIndex: 1 },
    );
  });

  it("refuses a wrong secret, a changed body, a stale or future timestamp, and missing or malformed headers", () => {
    const h = signedHeaders(SECRET, BODY, NOW);
    const ts = h["x-request-timestamp"];
    const sig = h["x-signature-256"];
    expect(checkSignature(["y".repeat(32)], ts, sig, BODY, NOW)).toEqual({ ok: false, reason: "mismatch" });
    expect(checkSignature([SECRET], ts, sig, BODY.replace("ann", "bob"), NOW)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(checkSignature([SECRET], ts, sig, BODY, NOW + 301_000)).toEqual({ ok: false, reason: "stale" });
    expect(checkSignature([SECRET], ts, sig, BODY, NOW - 301_000)).toEqual({ ok: false, reason: "stale" });
    expect(checkSignature([SECRET], ts, sig, BODY, NOW + 299_000)).toEqual({ ok: true, secretIndex: 0 });
    expect(checkSignature([SECRET], undefined, sig, BODY, NOW)).toEqual({ ok: false, reason: "missing" });
    expect(checkSignature([SECRET], ts, "", BODY, NOW)).toEqual({ ok: false, reason: "missing" });
    expect(checkSignature([SECRET], ts, sig.replace("sha256=", "sha1="), BODY, NOW)).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(checkSignature([SECRET], "12ab", sig, BODY, NOW)).toEqual({ ok: false, reason: "malformed" });
    expect(checkSignature([], ts, sig, BODY, NOW)).toEqual({ ok: false, reason: "mismatch" });
    expect(checkSignature([SECRET], "", sig, BODY, NOW)).toEqual({ ok: false, reason: "missing" });
  });

  it("takes a timestamp exactly at the window's edge, either way", () => {
    const h = signedHeaders(SECRET, BODY, NOW);
    const at = (nowMs: number) => checkSignature([SECRET], h["x-request-timestamp"], h["x-signature-256"], BODY, nowMs);
    expect(at(NOW + 300_000)).toEqual({ ok: true, secretIndex: 0 });
    expect(at(NOW - 300_000)).toEqual({ ok: true, secretIndex: 0 });
    expect(at(NOW + 300_001)).toEqual({ ok: false, reason: "stale" });
  });

  it("reads headers with surrounding spaces and an upper-case signature", () => {
    const h = signedHeaders(SECRET, BODY, NOW);
    const sig = ` ${h["x-signature-256"].toUpperCase().replace("SHA256=", "sha256=")} `;
    expect(checkSignature([SECRET], ` ${h["x-request-timestamp"]} `, sig, BODY, NOW)).toEqual({
      ok: true,
      secretIndex: 0,
    });
  });

  it("names the first secret that matches when a rotation lists the same secret twice", () => {
    const h = signedHeaders(SECRET, BODY, NOW);
    expect(checkSignature([SECRET, SECRET], h["x-request-timestamp"], h["x-signature-256"], BODY, NOW)).toEqual({
      ok: true,
      secretIndex: 0,
    });
  });
});
