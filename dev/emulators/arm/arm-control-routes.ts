// The ARM emulator's HTTP control endpoints, for tools that drive it from outside the process: the same operations
// as ArmEmulatorControls. Gateway ids travel in bodies or the `id`/`gatewayId` query parameter because they
// contain slashes.
import { z } from "zod";
import { emptyResponse, errorResponse, jsonResponse, route } from "../framework";
import type { EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";
import type { ArmEmulatorControls } from "./arm-controls";
import { CONFLICT_FORMS } from "./conflict";
import type { ConflictForm } from "./conflict";
import { IF_MATCH_MODES } from "./if-match";
import type { IfMatchMode } from "./if-match";

export const ARM_CONTROL_PREFIX = "/_emulator/arm";

const seedSchema = z.object({ id: z.string().min(1), gateway: z.record(z.string(), z.unknown()) }).strict();
const sessionSchema = z
  .object({
    gatewayId: z.string().min(1),
    vpnUserName: z.string().min(1),
    protocol: z.enum(["IKEv2", "OpenVPN", "SSTP"]).optional(),
    vpnConnectionId: z.string().min(1).optional(),
    publicIpAddress: z.string().min(1).optional(),
    privateIpAddress: z.string().min(1).optional(),
    connectedAt: z.string().min(1).optional(),
    maxBandwidth: z.number().nonnegative().optional(),
    egressPacketsTransferred: z.number().nonnegative().optional(),
    egressBytesTransferred: z.number().nonnegative().optional(),
    ingressPacketsTransferred: z.number().nonnegative().optional(),
    ingressBytesTransferred: z.number().nonnegative().optional(),
    maxPacketsPerSecond: z.number().nonnegative().optional(),
  })
  .strict();
const settingsSchema = z
  .object({
    operationDurationMs: z.number().nonnegative().optional(),
    conflictTailMs: z.number().nonnegative().optional(),
    conflictTailRefusals: z.number().int().nonnegative().optional(),
    pollRetryAfterSeconds: z.number().int().nonnegative().nullable().optional(),
    conflictForm: z.enum(CONFLICT_FORMS as [ConflictForm, ...ConflictForm[]]).optional(),
    ifMatch: z.enum(IF_MATCH_MODES as [IfMatchMode, ...IfMatchMode[]]).optional(),
  })
  .strict();
const failureSchema = z
  .object({ gatewayId: z.string().min(1), code: z.string().min(1), message: z.string().min(1) })
  .strict();
const serverRootSchema = z.object({ gatewayId: z.string().min(1), commonName: z.string().min(1) }).strict();

export function armControlRoutes(controls: ArmEmulatorControls): EmulatorRoute[] {
  const settings = (): EmulatorResponse => jsonResponse(200, controls.settings());
  return [
    route({
      method: "GET",
      path: `${ARM_CONTROL_PREFIX}/gateways`,
      operation: "_emulator.arm.gateways.get",
      handler: (request) => {
        const id = request.query.get("id");
        if (id === null) return jsonResponse(200, { value: controls.gatewayIds().map((g) => controls.gateway(g)) });
        return guarded(() => {
          const gateway = controls.gateway(id);
          return gateway === undefined ? notFound(`No gateway ${id}.`) : jsonResponse(200, gateway);
        });
      },
    }),
    route({
      method: "POST",
      path: `${ARM_CONTROL_PREFIX}/gateways`,
      operation: "_emulator.arm.gateways.seed",
      handler: (request) =>
        withBody(request, seedSchema, (input) => jsonResponse(201, controls.seedGateway(input.id, input.gateway))),
    }),
    route({
      method: "DELETE",
      path: `${ARM_CONTROL_PREFIX}/gateways`,
      operation: "_emulator.arm.gateways.remove",
      handler: (request) =>
        guarded(() =>
          controls.removeGateway(requiredQuery(request, "id")) ? emptyResponse() : notFound("No such gateway."),
        ),
    }),
    route({
      method: "GET",
      path: `${ARM_CONTROL_PREFIX}/sessions`,
      operation: "_emulator.arm.sessions.list",
      handler: (request) =>
        guarded(() => jsonResponse(200, { value: controls.sessions(requiredQuery(request, "gatewayId")) })),
    }),
    route({
      method: "POST",
      path: `${ARM_CONTROL_PREFIX}/sessions`,
      operation: "_emulator.arm.sessions.connect",
      handler: (request) =>
        withBody(request, sessionSchema, ({ gatewayId, ...seed }) =>
          jsonResponse(201, { vpnConnectionId: controls.connectSession(gatewayId, seed) }),
        ),
    }),
    route({
      method: "DELETE",
      path: `${ARM_CONTROL_PREFIX}/sessions/{vpnConnectionId}`,
      operation: "_emulator.arm.sessions.disconnect",
      handler: (request) =>
        guarded(() =>
          controls.disconnectSession(requiredQuery(request, "gatewayId"), request.params.vpnConnectionId)
            ? emptyResponse()
            : notFound(`No session ${request.params.vpnConnectionId}.`),
        ),
    }),
    route({
      method: "GET",
      path: `${ARM_CONTROL_PREFIX}/settings`,
      operation: "_emulator.arm.settings.get",
      handler: settings,
    }),
    route({
      method: "PATCH",
      path: `${ARM_CONTROL_PREFIX}/settings`,
      operation: "_emulator.arm.settings.update",
      handler: (request) =>
        withBody(request, settingsSchema, (input) => {
          if (input.operationDurationMs !== undefined) controls.setOperationDurationMs(input.operationDurationMs);
          if (input.conflictTailMs !== undefined) controls.setConflictTailMs(input.conflictTailMs);
          if (input.conflictTailRefusals !== undefined) controls.setConflictTailRefusals(input.conflictTailRefusals);
          if (input.pollRetryAfterSeconds !== undefined) {
            controls.setPollRetryAfterSeconds(input.pollRetryAfterSeconds ?? undefined);
          }
          if (input.conflictForm !== undefined) controls.setConflictForm(input.conflictForm);
          if (input.ifMatch !== undefined) controls.setIfMatchMode(input.ifMatch);
          return settings();
        }),
    }),
    route({
      method: "GET",
      path: `${ARM_CONTROL_PREFIX}/operations`,
      operation: "_emulator.arm.operations.running",
      handler: (request) =>
        guarded(() => {
          const running = controls.runningOperation(requiredQuery(request, "gatewayId"));
          return running === undefined ? notFound("No operation occupies this gateway.") : jsonResponse(200, running);
        }),
    }),
    route({
      method: "POST",
      path: `${ARM_CONTROL_PREFIX}/operation-failures`,
      operation: "_emulator.arm.operationFailures.add",
      handler: (request) =>
        withBody(request, failureSchema, ({ gatewayId, code, message }) => {
          controls.failNextOperation(gatewayId, { code, message });
          return emptyResponse(204);
        }),
    }),
    route({
      method: "PUT",
      path: `${ARM_CONTROL_PREFIX}/server-root`,
      operation: "_emulator.arm.serverRoot.set",
      handler: (request) =>
        withBody(request, serverRootSchema, ({ gatewayId, commonName }) => {
          controls.setServerRootCn(gatewayId, commonName);
          return emptyResponse(204);
        }),
    }),
    route({
      method: "POST",
      path: `${ARM_CONTROL_PREFIX}/reset`,
      operation: "_emulator.arm.reset",
      handler: () => {
        controls.reset();
        return emptyResponse(204);
      },
    }),
  ];
}

function withBody<T>(
  request: EmulatorRequest,
  schema: z.ZodType<T>,
  run: (input: T) => EmulatorResponse,
): EmulatorResponse {
  const parsed = schema.safeParse(request.body);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    return errorResponse(400, "InvalidControlRequest", message);
  }
  return guarded(() => run(parsed.data));
}

/** Control calls throw plain Errors for bad input (unknown gateway, invalid seed): answer them as 400s. */
function guarded(run: () => EmulatorResponse): EmulatorResponse {
  try {
    return run();
  } catch (error) {
    return errorResponse(400, "InvalidControlRequest", error instanceof Error ? error.message : String(error));
  }
}

function requiredQuery(request: EmulatorRequest, name: string): string {
  const value = request.query.get(name);
  if (value === null || value === "") throw new Error(`The ${name} query parameter is required.`);
  return value;
}

function notFound(message: string): EmulatorResponse {
  return errorResponse(404, "NotFound", message);
}
