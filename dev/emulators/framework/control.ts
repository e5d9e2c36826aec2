// The emulator's own control endpoints under /_emulator: faults and statistics over HTTP for tests and tools that
// drive an emulator from outside its process. They need no token and are never faulted, throttled or counted.
import { faultRuleSchema } from "./faults";
import type { FaultRegistry } from "./faults";
import { emptyResponse, errorResponse, jsonResponse } from "./responses";
import { route } from "./routes";
import type { EmulatorRoute } from "./routes";
import type { StatsRecorder } from "./stats";

export const CONTROL_PREFIX = "/_emulator/";

export function controlRoutes(faults: FaultRegistry, stats: StatsRecorder): EmulatorRoute[] {
  return [
    route({
      method: "GET",
      path: "/_emulator/faults",
      operation: "_emulator.faults.list",
      handler: () => jsonResponse(200, { value: faults.list() }),
    }),
    route({
      method: "POST",
      path: "/_emulator/faults",
      operation: "_emulator.faults.add",
      handler: (request) => {
        const parsed = faultRuleSchema.safeParse(request.body);
        if (!parsed.success) {
          const message = parsed.error.issues.map((i) => `${i.path.join(".") || "rule"}: ${i.message}`).join("; ");
          return errorResponse(400, "InvalidFaultRule", message);
        }
        return jsonResponse(201, faults.add(parsed.data));
      },
    }),
    route({
      method: "DELETE",
      path: "/_emulator/faults",
      operation: "_emulator.faults.clear",
      handler: () => {
        faults.clear();
        return emptyResponse();
      },
    }),
    route({
      method: "DELETE",
      path: "/_emulator/faults/{id}",
      operation: "_emulator.faults.remove",
      handler: (request) =>
        faults.remove(request.params.id)
          ? emptyResponse()
          : errorResponse(404, "FaultRuleNotFound", `No fault rule ${request.params.id}.`),
    }),
    route({
      method: "GET",
      path: "/_emulator/stats",
      operation: "_emulator.stats.get",
      handler: () => jsonResponse(200, { operations: stats.get() }),
    }),
    route({
      method: "DELETE",
      path: "/_emulator/stats",
      operation: "_emulator.stats.reset",
      handler: () => {
        stats.reset();
        return emptyResponse();
      },
    }),
  ];
}
