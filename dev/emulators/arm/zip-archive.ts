// Writes the profile package zip with fflate (deflated entries, a fixed timestamp so the same files give the same
// bytes), the way Azure's packages are deflated.
import { zipSync } from "fflate";
import type { Zippable } from "fflate";

export interface ZipEntry {
  path: string;
  content: string | Uint8Array;
}

const FIXED_MTIME = new Date("2020-01-01T00:00:00Z");

export function zipArchive(entries: readonly ZipEntry[]): Buffer {
  const files: Zippable = {};
  for (const entry of entries) {
    const data = typeof entry.content === "string" ? new TextEncoder().encode(entry.content) : entry.content;
    files[entry.path] = [data, { level: 6, mtime: FIXED_MTIME }];
  }
  return Buffer.from(zipSync(files));
}
