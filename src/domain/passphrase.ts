// Passphrases for the PKCS#12 files handed to users: crypto-random, typable, and safe in URLs and file names.
import { randomBytes } from "node:crypto";

/** 18 random bytes as base64url: 24 characters, 144 bits, beyond any offline guessing of the PFX. */
export function generatePassphrase(): string {
  return randomBytes(18).toString("base64url");
}
