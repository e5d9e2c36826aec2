// Graph's answer envelope, applied to every service answer whoever made it (handler, fault, throttle, pipeline):
// `request-id` and `client-request-id` headers, and errors as Graph writes them, `{ error: { code, message,
// innerError: { date, request-id, client-request-id } } }`, with the framework's generic codes put in Graph's words.
import { randomUUID } from "node:crypto";
import type { EmulatorResponse, ResponseContext } from "../framework";

/** Graph's codes for what the framework answers in its own. */
const GRAPH_CODES: Readonly<Record<string, string>> = {
  AuthenticationFailed: "InvalidAuthenticationToken",
  InvalidRequestContent: "BadRequest",
  MethodNotAllowed: "Request_BadRequest",
  // An unknown path: Graph answers 400 ("Resource not found for the segment ..."), not 404, so a typo in a path is
  // never read as an object that does not exist.
  NotFound: "BadRequest",
  Throttled: "TooManyRequests",
};

/** Codes for injected faults that name none: what Graph sends with that status. */
const FAULT_CODES: Readonly<Record<number, string>> = {
  429: "TooManyRequests",
  500: "generalException",
  502: "badGateway",
  503: "serviceNotAvailable",
  504: "gatewayTimeout",
};

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof error?.code === "string" && typeof error.message === "string";
}

function graphCode(status: number, code: string): string {
  if (code === "InjectedFault") return FAULT_CODES[status] ?? code;
  return GRAPH_CODES[code] ?? code;
}

export function finishGraphResponse(response: EmulatorResponse, context: ResponseContext): EmulatorResponse {
  const sent = context.headers["client-request-id"];
  const clientRequestId = typeof sent === "string" && sent !== "" ? sent : randomUUID();
  const headers = {
    ...response.headers,
    "request-id": context.requestId,
    "client-request-id": clientRequestId,
    // The HTTP Date on the emulator's clock: clients that time renewals by Graph's clock see the virtual one.
    date: new Date(context.now).toUTCString(),
  };
  if (response.status < 400 || !isErrorBody(response.body)) return { ...response, headers };
  const { code, message } = response.body.error;
  return {
    status: code === "NotFound" ? 400 : response.status,
    headers,
    body: {
      error: {
        code: graphCode(response.status, code),
        message: code === "AuthenticationFailed" ? "Access token is empty." : message,
        innerError: {
          // Graph writes the date to the second, without fractions.
          date: new Date(context.now).toISOString().replace(/\.\d{3}Z$/, "Z"),
          "request-id": context.requestId,
          "client-request-id": clientRequestId,
        },
      },
    },
  };
}

/** Graph's error for an object that is not there. */
export function resourceNotFound(id: string): EmulatorResponse {
  return {
    status: 404,
    body: {
      error: {
        code: "Request_ResourceNotFound",
        message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      },
    },
  };
}

export function badRequest(code: string, message: string): EmulatorResponse {
  return { status: 400, body: { error: { code, message } } };
}
