jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
import { resetFixtureState } from "../../fixtures/durable-app";
import { startDurableHarness } from "../../support/durable/harness";
it("debug", async () => {
  resetFixtureState();
  const h = await startDurableHarness();
  const id = await h.client.startNew("Accumulator");
  await h.backend.idle();
  await h.client.raiseEvent(id, "Add", 1);
  await h.backend.idle();
  console.log(JSON.stringify(h.backend.inspect(id), null, 1));
  await h.client.raiseEvent(id, "Add", 1);
  await h.backend.idle();
  console.log(JSON.stringify(h.backend.inspect(id), null, 1));
  await h.close();
});
