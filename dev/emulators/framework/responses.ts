// Response values handlers return, and Azure's error envelope. Key Vault and ARM both answer
// { error: { code, message } }; ARM may add target and details.

export interface EmulatorResponse {
  readonly status: number;
  /** undefined: no body; string: text/plain; Uint8Array: application/octet-stream; anything else: JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface AzureErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
  readonly details?: readonly AzureErrorDetail[];
}

export interface ErrorOptions {
  readonly target?: string;
  readonly details?: readonly AzureErrorDetail[];
  readonly headers?: Readonly<Record<string, string>>;
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): EmulatorResponse {
  return headers === undefined ? { status, body } : { status, body, headers };
}

export function emptyResponse(status = 204, headers?: Readonly<Record<string, string>>): EmulatorResponse {
  return headers === undefined ? { status } : { status, headers };
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  options: ErrorOptions = {},
): EmulatorResponse {
  const error: AzureErrorDetail = {
    code,
    message,
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.details === undefined ? {} : { details: options.details }),
  };
  return jsonResponse(status, { error }, options.headers);
}

/** Thrown from a handler (at any depth) to answer with an Azure-shaped error. */
export class EmulatorError extends Error {
  readonly status: number;
  readonly code: string;
  readonly options: ErrorOptions;

  constructor(status: number, code: string, message: string, options: ErrorOptions = {}) {
    super(message);
    this.name = "EmulatorError";
    this.status = status;
    this.code = code;
    this.options = options;
  }

  toResponse(): EmulatorResponse {
    return errorResponse(this.status, this.code, this.message, this.options);
  }
}
