// Translation between the ARM handlers and the framework: ArmReply/ArmError become EmulatorResponses, and JSON
// string results (generatevpnprofile's URL) are sent as JSON, not text, because the SDK only parses JSON bodies.
import { errorResponse } from "../framework";
import type { EmulatorResponse } from "../framework";
import { checkApiVersion } from "./api-version";
import { ArmError } from "./arm-error";
import type { ArmReply } from "./arm-reply";

export function toResponse(reply: ArmReply): EmulatorResponse {
  const headers = reply.headers ?? {};
  if (reply.body === undefined) return { status: reply.status, headers };
  if (typeof reply.body === "string") {
    return {
      status: reply.status,
      body: Buffer.from(JSON.stringify(reply.body), "utf8"),
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    };
  }
  return { status: reply.status, body: reply.body, headers };
}

/** Runs an ARM handler behind the api-version gate, turning ArmErrors into Azure-shaped error responses. */
export function armHandler(apiVersion: string | undefined, run: (apiVersion: string) => ArmReply): EmulatorResponse {
  try {
    return toResponse(run(checkApiVersion(apiVersion)));
  } catch (error) {
    if (error instanceof ArmError) {
      return errorResponse(error.status, error.code, error.message, {
        ...(error.target === undefined ? {} : { target: error.target }),
        headers: error.headers,
      });
    }
    throw error;
  }
}
