// The fuzzed edge covers every way in: each HTTP route the app registers (as the dev host routes them) has a fuzz
// arbitrary in test/support/fuzz/edge-routes.ts, and each trigger that takes outside input (queue, Event Grid) one in
// edge-triggers.ts. A route or trigger added later fails here until it is fuzzed too; an arbitrary whose route is
// gone fails as well, so a renamed route is not silently left out.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { coreRegistry } from "../../dev/host/core-api";
import { buildRoutes } from "../../dev/host/server";
import { EDGE_ROUTES } from "../support/fuzz/edge-routes";
import { EDGE_TRIGGERS } from "../support/fuzz/edge-triggers";

/** Triggers with no outside input: the host's clock, or the durable extension's own messages. */
const NO_OUTSIDE_INPUT = new Set(["timertrigger", "orchestrationtrigger", "activitytrigger", "entitytrigger"]);
/** Triggers whose input comes from outside the app. */
const OUTSIDE_INPUT = new Set(["queuetrigger", "eventgridtrigger"]);

/** "METHOD route" for each method an HTTP function takes, as edge-routes.ts keys them. */
function routeKeys(): string[] {
  return buildRoutes(coreRegistry.functions()).flatMap((route) => {
    const methods = route.methods === undefined ? ["ANY"] : [...route.methods];
    return methods.map((method) => `${method} ${route.template.template}`);
  });
}

beforeAll(async () => {
  await import("../../src/index");
});

it("has a fuzz arbitrary for every HTTP route the app registers", () => {
  const keys = routeKeys();
  expect(keys.length).toBeGreaterThanOrEqual(18);
  expect(keys.filter((key) => !(key in EDGE_ROUTES))).toEqual([]);
});

it("has no fuzz arbitrary for a route the app does not register", () => {
  const keys = new Set(routeKeys());
  expect(Object.keys(EDGE_ROUTES).filter((key) => !keys.has(key))).toEqual([]);
});

it("has a fuzz arbitrary for every trigger that takes outside input, and knows every trigger type", () => {
  const triggers = coreRegistry.functions().filter((fn) => fn.trigger.type.toLowerCase() !== "httptrigger");
  const unknownTypes = triggers
    .map((fn) => fn.trigger.type.toLowerCase())
    .filter((t) => !NO_OUTSIDE_INPUT.has(t) && !OUTSIDE_INPUT.has(t));
  expect(unknownTypes).toEqual([]);
  const outside = triggers.filter((fn) => OUTSIDE_INPUT.has(fn.trigger.type.toLowerCase())).map((fn) => fn.name);
  expect(outside.sort()).toEqual(Object.keys(EDGE_TRIGGERS).sort());
});
