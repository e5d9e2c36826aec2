// A minimal DER writer: just the universal types a PKCS#12 container needs. Inputs are already-encoded values
// (certificates, PKCS#8 keys) wrapped in SEQUENCE, SET, OCTET STRING and explicit tags.

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

/** SET OF, with members sorted by their encoding as DER requires. */
export function setOf(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat([...items].sort((a, b) => Buffer.compare(a, b))));
}

export function octetString(content: Buffer): Buffer {
  return tlv(0x04, content);
}

export function explicit(tagNumber: number, content: Buffer): Buffer {
  return tlv(0xa0 | tagNumber, content);
}

export function nullValue(): Buffer {
  return Buffer.from([0x05, 0x00]);
}

/** A non-negative INTEGER. */
export function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift(0x80 | (value & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A named-bit BIT STRING (X.509 KeyUsage style): bit 0 is the most significant; trailing zero bits dropped. */
export function namedBitString(bits: readonly number[]): Buffer {
  const highest = Math.max(-1, ...bits);
  const size = Math.ceil((highest + 1) / 8);
  const content = Buffer.alloc(1 + size);
  content[0] = size * 8 - (highest + 1);
  for (const bit of bits) {
    const index = 1 + Math.floor(bit / 8);
    content[index] = (content[index] ?? 0) | (0x80 >> (bit % 8));
  }
  return tlv(0x03, content);
}
