// ARM-shaped failures: `{ "error": { "code", "message", "target"?, "details"? } }` with an HTTP status. The SDK turns
// these into a RestError whose `code` is the error code.
import type { JsonObject } from "./json";

export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ArmError";
  }

  toBody(): JsonObject {
    const error: JsonObject = { code: this.code, message: this.message };
    if (this.target !== undefined) error["target"] = this.target;
    return { error };
  }
}

export function badRequest(code: string, message: string, target?: string): ArmError {
  return new ArmError(400, code, message, target);
}
