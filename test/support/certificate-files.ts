// Certificates as PEM files for `openssl verify`: DER to PEM, and numbered files in a test's own folder.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function certificatePem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** Writes each text to a new numbered file in `dir` and answers its path. */
export function numberedFiles(dir: string): (text: string) => string {
  let count = 0;
  return (text) => {
    const path = join(dir, `f${String(count++)}.pem`);
    writeFileSync(path, text);
    return path;
  };
}
