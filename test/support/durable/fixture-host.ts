// The dev host running the durable fixture app with the local durable backend: for tests that drive durable flows
// through the host's HTTP surface rather than the in-process harness.
import { createDurableBackend } from "../../../dev/durable";
import type { LocalDurableBackend } from "../../../dev/durable";
import type { ManualClock } from "../../../dev/host/clock";
import { startHost } from "../../../dev/host/host";
import type { DevHost } from "../../../dev/host/host";
import { resetFixtureState } from "../../fixtures/durable-app";

export async function startFixtureHost(taskHubName: string, clock: ManualClock): Promise<DevHost> {
  resetFixtureState();
  return startHost({
    appEntry: () => import("../../fixtures/durable-app"),
    port: 0,
    clock,
    log: () => undefined,
    taskHubName,
    createDurableBackend,
  });
}

/** The host's durable backend, which startFixtureHost always mounts. */
export function fixtureBackend(host: DevHost): LocalDurableBackend {
  return host.durable as LocalDurableBackend;
}
