// PEM armour and the gateway's root certificate format (base64 DER on one line, no BEGIN/END lines). Writing PEM is
// @peculiar/x509's PemConverter; reading stays here because it is stricter than the library: invalid base64,
// mismatched BEGIN/END labels and encrypted (RFC 1421) blocks are refused, and decoded bytes (private keys among them)
// never land in Node's shared buffer pool.
import "reflect-metadata";
import { PemConverter } from "@peculiar/x509";

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** PEM text with 64-character lines, as RFC 7468 writes it. */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  if (!/^[A-Z0-9 ]+$/.test(label)) throw new Error(`invalid PEM label '${label}'`);
  // PemConverter joins its lines with LF and ends without a newline (the test pins the whole text).
  return `${PemConverter.encode(der, label)}\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Every PEM block in `text`, in order; tolerant of CRLF and of text between blocks (as in "Bag Attributes"). */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, begin = "", body = "", end = ""] = match;
    if (begin !== end) throw new Error(`PEM block BEGIN ${begin} ends with END ${end}`);
    if (/^\s*[A-Za-z-]+:/m.test(body))
      throw new Error(`PEM block ${begin} has RFC 1421 headers (encrypted PEM is not supported)`);
    blocks.push({ label: begin, der: fromBase64(body, `PEM block ${begin}`) });
  }
  return blocks;
}

/** The DER of the only block labelled `label`; throws when there is none or more than one. */
export function pemToDer(text: string, label = "CERTIFICATE"): Uint8Array {
  const matching = pemBlocks(text).filter((b) => b.label === label);
  const [only] = matching;
  if (only === undefined || matching.length > 1) {
    throw new Error(`expected exactly one PEM ${label} block, found ${matching.length}`);
  }
  return only.der;
}

/** A root certificate as the gateway's `publicCertData` wants it: base64 of the DER, one line, no armour. */
export function toGatewayCertData(certificateDer: Uint8Array): string {
  if (certificateDer.length === 0) throw new Error("certificate is empty");
  return toBase64(certificateDer);
}

/** Reads `publicCertData` (or any base64/PEM certificate text) back into DER. */
export function fromGatewayCertData(data: string): Uint8Array {
  return data.includes("-----BEGIN") ? pemToDer(data) : fromBase64(data, "certificate data");
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Strict base64 decoding (whitespace allowed): Node's own decoder silently skips invalid characters. */
export function fromBase64(text: string, what: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    throw new Error(`${what} is not valid base64`);
  }
  // Buffer.alloc is never pooled: decoded key material stays in memory the caller owns and can zeroise.
  const out = Buffer.alloc(Buffer.byteLength(compact, "base64"));
  const written = out.write(compact, "base64");
  return new Uint8Array(out.buffer, out.byteOffset, written);
}
