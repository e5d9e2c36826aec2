// A zip writer for tests of the package check: it writes local headers and the central directory separately, so a
// test can make the two views of one zip disagree (names, counts, sizes, methods), as a hostile package would.
import { crc32, deflateRawSync } from "node:zlib";

export interface LocalEntry {
  readonly name: string;
  readonly content: Uint8Array | string;
  /** 0 stored (the default) or 8 deflated; any other number is written as it is, with the content stored. */
  readonly method?: number;
  /** The bytes written as the entry's data instead of the (compressed) content, e.g. a corrupt deflate stream. */
  readonly data?: Uint8Array;
  /** The uncompressed size written in the local header; the content's length by default. */
  readonly declaredSize?: number;
  /** The compressed size written in both headers; the data's length by default (more claims bytes the zip lacks). */
  readonly compressedSize?: number;
}

export interface CentralEntry {
  /** Which local entry this record points at. */
  readonly local: number;
  /** The name in the central directory; the local entry's by default. */
  readonly name?: string;
  readonly method?: number;
  /** The uncompressed size in the central directory; the local entry's declared size by default. */
  readonly declaredSize?: number;
}

interface Written {
  readonly entry: LocalEntry;
  readonly offset: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly declaredSize: number;
}

function bytesOf(content: Uint8Array | string): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
}

/** A zip of `locals` in this order; its central directory lists `central` (by default one record per local entry). */
export function rawZip(locals: readonly LocalEntry[], central?: readonly CentralEntry[]): Buffer {
  const parts: Buffer[] = [];
  const written: Written[] = [];
  let offset = 0;
  for (const entry of locals) {
    const content = bytesOf(entry.content);
    const method = entry.method ?? 0;
    const data =
      entry.data === undefined ? (method === 8 ? deflateRawSync(content) : content) : Buffer.from(entry.data);
    const name = Buffer.from(entry.name, "utf8");
    const declaredSize = entry.declaredSize ?? content.length;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(method, 8);
    header.writeUInt32LE(crc32(content), 14);
    const compressedSize = entry.compressedSize ?? data.length;
    header.writeUInt32LE(compressedSize, 18);
    header.writeUInt32LE(declaredSize, 22);
    header.writeUInt16LE(name.length, 26);
    written.push({ entry, offset, crc: crc32(content), compressedSize, declaredSize });
    parts.push(header, name, data);
    offset += header.length + name.length + data.length;
  }
  const records: readonly CentralEntry[] = central ?? locals.map((_, local) => ({ local }));
  const directoryOffset = offset;
  for (const record of records) {
    const target = written[record.local];
    if (target === undefined) throw new Error(`no local entry ${record.local}`);
    const name = Buffer.from(record.name ?? target.entry.name, "utf8");
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(record.method ?? target.entry.method ?? 0, 10);
    header.writeUInt32LE(target.crc, 16);
    header.writeUInt32LE(target.compressedSize, 20);
    header.writeUInt32LE(record.declaredSize ?? target.declaredSize, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(target.offset, 42);
    parts.push(header, name);
    offset += header.length + name.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(offset - directoryOffset, 12);
  end.writeUInt32LE(directoryOffset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}
