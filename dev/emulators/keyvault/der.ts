// A minimal DER writer: the named-bit BIT STRING of an X.509 KeyUsage extension (x509-issue.ts).

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
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
