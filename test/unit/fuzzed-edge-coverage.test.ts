// The fuzzed edge covers every way in: each HTTP route the app registers (as the dev host routes them) has a fuzz
// arbitrary in test/support/fuzz/edge-routes.ts, and each trigger that takes outside input (queue, Event Grid) one in
// edge-triggers.ts. A route or trigger added later fails here until it is fuzzed too (test/e2e/fuzzed-edge.test.ts
// runs every registered one).
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { EDGE_ROUTES } from "../support/fuzz/edge-routes";
import { EDGE_TRIGGERS } from "../support/fuzz/edge-triggers";
import {
  NO_OUTSIDE_INPUT,
  OUTSIDE_INPUT,
  outsideInputTriggers,
  registeredRoutes,
  registeredTriggers,
} from "../support/fuzz/registered";

beforeAll(async () => {
  await import("../../src/index");
});

it("has a fuzz arbitrary for every HTTP route the app registers", () => {
  const routes = registeredRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(18);
  expect(routes.filter((key) => !(key in EDGE_ROUTES))).toEqual([]);
});

it("knows every trigger type the app registers: with outside input or without", () => {
  const unknown = registeredTriggers().filter((fn) => !NO_OUTSIDE_INPUT.has(fn.type) && !OUTSIDE_INPUT.has(fn.type));
  expect(unknown).toEqual([]);
});

it("has a fuzz arbitrary for every trigger that takes outside input", () => {
  const triggers = outsideInputTriggers();
  expect(triggers.length).toBeGreaterThanOrEqual(3);
  expect(triggers.filter((name) => !(name in EDGE_TRIGGERS))).toEqual([]);
});
