// What the app registers, as the dev host sees it: its HTTP routes ("METHOD route", the keys of edge-routes.ts) and
// its triggers that take outside input (queue and Event Grid, the keys of edge-triggers.ts). The app must be loaded
// first (import "src/index" after the @azure/functions-core mock).
import { coreRegistry } from "../../../dev/host/core-api";
import { buildRoutes } from "../../../dev/host/server";

/** Triggers with no outside input: the host's clock, or the durable extension's own messages. */
export const NO_OUTSIDE_INPUT: ReadonlySet<string> = new Set([
  "timertrigger",
  "orchestrationtrigger",
  "activitytrigger",
  "entitytrigger",
]);
/** Triggers whose input comes from outside the app. */
export const OUTSIDE_INPUT: ReadonlySet<string> = new Set(["queuetrigger", "eventgridtrigger"]);

/** "METHOD route" for each method each HTTP function takes. */
export function registeredRoutes(): string[] {
  return buildRoutes(coreRegistry.functions()).flatMap((route) => {
    const methods = route.methods === undefined ? ["ANY"] : [...route.methods];
    return methods.map((method) => `${method} ${route.template.template}`);
  });
}

/** Every non-HTTP function: its name and trigger type (lower case). */
export function registeredTriggers(): { readonly name: string; readonly type: string }[] {
  return coreRegistry
    .functions()
    .filter((fn) => fn.trigger.type.toLowerCase() !== "httptrigger")
    .map((fn) => ({ name: fn.name, type: fn.trigger.type.toLowerCase() }));
}

/** The functions that take outside input, by name. */
export function outsideInputTriggers(): string[] {
  return registeredTriggers()
    .filter((fn) => OUTSIDE_INPUT.has(fn.type))
    .map((fn) => fn.name);
}
