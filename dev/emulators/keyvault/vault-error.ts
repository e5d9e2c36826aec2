// Key Vault's error envelope: { error: { code, message, innererror?: { code } } }. The SDKs surface `code` and
// `message`; callers that tell a soft-deleted name from a pending conflict read the inner code, so it is kept.

export interface VaultErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly innererror?: { readonly code: string };
  };
}

export class VaultError extends Error {
  readonly status: number;
  readonly code: string;
  readonly innerCode: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    innerCode?: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "VaultError";
    this.status = status;
    this.code = code;
    this.innerCode = innerCode;
    this.headers = headers;
  }

  toBody(): VaultErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode === undefined ? {} : { innererror: { code: this.innerCode } }),
      },
    };
  }
}

export function badParameter(message: string): VaultError {
  return new VaultError(400, "BadParameter", message);
}

export function notFound(kind: "Certificate" | "Key" | "Secret", name: string, version?: string): VaultError {
  const what = version === undefined || version === "" ? name : `${name}/${version}`;
  const noun = kind.toLowerCase();
  return new VaultError(
    404,
    `${kind}NotFound`,
    `A ${noun} with (name/id) ${what} was not found in this key vault. If you recently deleted this ${noun} you may be able to recover it using the correct recovery command.`,
  );
}

export function deletedButRecoverable(kind: "Certificate" | "Key" | "Secret", name: string): VaultError {
  const noun = kind.toLowerCase();
  return new VaultError(
    409,
    "Conflict",
    `${kind} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${noun} can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

export function disabled(kind: "Key" | "Secret", operation: string): VaultError {
  return new VaultError(
    403,
    "Forbidden",
    `Operation ${operation} is not allowed on a disabled ${kind.toLowerCase()}.`,
    `${kind}Disabled`,
  );
}
