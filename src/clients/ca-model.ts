// What the Key Vault CA's parts share: its configuration, the tags that mark what it owns, the root as the app sees
// it, and the error that says whether retrying can help.
import type { Config } from "../config";
import type { CreatePacingConfig } from "./create-pacing";

export type CaConfig = Pick<
  Config,
  | "CA_ROOT_NAME"
  | "CA_ROOT_SUBJECT"
  | "CA_ROOT_KEY_SIZE"
  | "CA_ROOT_VALIDITY_YEARS"
  | "CLIENT_CERT_KEY_SIZE"
  | "CLIENT_CERT_VALIDITY_DAYS"
> &
  CreatePacingConfig;

/** Tag marking what this app created (checked before it touches a certificate). */
export const OWNER_TAG = "managedBy";
export const OWNER_VALUE = "p2s-lifecycle";

/** Tags of the root's versions (the temporary self-signed ones and the CA). */
export const ROOT_TAGS: Readonly<Record<string, string>> = { [OWNER_TAG]: OWNER_VALUE, role: "root" };

/** Set on the root once its temporary versions are retired: until then, ensureRootCa finishes the bootstrap. */
export const BOOTSTRAP_TAG = "bootstrap";
export const BOOTSTRAP_COMPLETE = "complete";

export interface RootCa {
  readonly name: string;
  readonly subject: string;
  readonly thumbprint: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The gateway's format: base64 DER on one line. */
  readonly publicCertData: string;
  /** Versioned key id the CA signs with. */
  readonly keyId: string;
}

export class CaStateError extends Error {
  override readonly name: string = "CaStateError";
  /** True when retrying cannot help (an operator must act): the issuance fails at once with this reason. */
  readonly terminal: boolean;

  constructor(message: string, options: { readonly terminal?: boolean } = {}) {
    super(message);
    this.terminal = options.terminal ?? false;
  }
}
