// Certificate serial numbers: 16 random bytes as a positive DER INTEGER that needs no padding byte.
// The first byte is forced into 0x40-0x7F: top bit clear keeps the INTEGER positive, and a set 0x40 bit keeps the
// first byte non-zero so the encoding is exactly 16 octets (minimal DER). That leaves 126 random bits, well above
// the 64 that CA/Browser Forum rules ask for, and under RFC 5280's 20-octet limit.
import { randomBytes } from "node:crypto";

export const SERIAL_NUMBER_BYTES = 16;

/** A fresh serial number as 32 uppercase hex digits. `random` is for tests that need a fixed value. */
export function generateSerialNumber(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = Uint8Array.from(random(SERIAL_NUMBER_BYTES));
  if (bytes.length !== SERIAL_NUMBER_BYTES) throw new Error(`random source returned ${bytes.length} bytes`);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return Buffer.from(bytes).toString("hex").toUpperCase();
}

/**
 * Checks a serial number we are about to put in a certificate: hex, positive (top bit of the first byte clear),
 * minimal (no leading zero byte), 8-20 octets.
 */
export function assertSerialNumber(hex: string): string {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) throw new Error("serial number must be an even number of hex digits");
  const bytes = Buffer.from(hex, "hex");
  if (bytes.length < 8 || bytes.length > 20) throw new Error(`serial number has ${bytes.length} octets; allowed 8-20`);
  const first = bytes[0] ?? 0;
  if (first & 0x80) throw new Error("serial number must be positive (top bit of the first byte clear)");
  if (first === 0) throw new Error("serial number must not start with a zero byte");
  return hex.toUpperCase();
}
