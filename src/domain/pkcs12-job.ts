// What the PKCS#12 worker thread is given and answers. Structured-cloned across the thread boundary.

export type Pkcs12Encryption = "aes256" | "legacy3des";

export interface Pkcs12Job {
  readonly encryption: Pkcs12Encryption;
  /** PKCS#8 DER of the leaf's key, already checked against the leaf. */
  readonly privateKey: Uint8Array;
  /** DER, leaf first, then its issuers. */
  readonly certificates: readonly Uint8Array[];
  readonly friendlyName?: string;
  /** Never logged, never put in an error. */
  readonly password: string;
  readonly iterations: number;
}

export type Pkcs12Answer =
  { readonly ok: true; readonly pfx: Uint8Array } | { readonly ok: false; readonly error: string };
