// The scheduled rotation through the sandbox: expiryCheck starts a rotation (trigger schedule, actor system:schedule)
// when the current root expires within ROOT_ROTATION_BEFORE_EXPIRY_DAYS, and never a second one for the same root.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import type { ExpiryCheckResult } from "../../src/orchestrations/expiry-check";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;

beforeAll(async () => {
  // A one-year root, rotated 400 days before its expiry: due from the start.
  sandbox = await startTestSandbox({
    settings: { CA_ROOT_VALIDITY_YEARS: "1", ROOT_ROTATION_BEFORE_EXPIRY_DAYS: "400" },
  });
});

afterAll(async () => {
  await sandbox.stop();
});

/** Runs the expiryCheck timer once (the admin endpoint) and answers its orchestration's output. */
async function runExpiryCheck(): Promise<ExpiryCheckResult> {
  const before = sandbox.logs.length;
  const response = await fetch(`${sandbox.endpoints.host}/admin/functions/expiryCheck`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
    body: JSON.stringify({ input: "" }),
  });
  expect(response.status).toBe(202);
  const instanceId = await waitFor(
    () =>
      sandbox.logs
        .slice(before)
        .map((line) => /expiryCheck: (expiryCheck-\d+) (started|restarted|existing)/.exec(line)?.[1])
        .find((id) => id !== undefined),
    { message: "the expiryCheck timer to log its instance" },
  );
  const status = await sandbox.waitForInstance(instanceId, 60_000);
  expect(status.runtimeStatus).toBe("Completed");
  return status.output as ExpiryCheckResult;
}

function rotations(): string[] {
  return sandbox.durable.instanceIds().filter((id) => sandbox.durable.inspect(id)?.name === "rootRotation");
}

it("starts one rotation by itself for a root near its expiry, audited as system:schedule, and not a second", async () => {
  const first = await runExpiryCheck();
  expect(first.failures).toEqual([]);
  expect(first.rotation).toMatch(/^[0-9a-f]{32}$/);
  const view = await sandbox.api("GET", `/api/v1/requests/${first.rotation ?? ""}`);
  expect(view.body).toMatchObject({ kind: "rotation" });
  const audit = await Ledger.fromConfig(getConfig()).listAudit("root");
  expect(
    audit.filter((a) => a.requestId === first.rotation && a.action === "rotation.accepted").map((a) => a.actor),
  ).toEqual(["system:schedule"]);
  expect(rotations()).toHaveLength(1);

  const second = await runExpiryCheck();
  expect(second.failures).toEqual([]);
  expect(second.rotation).toBeUndefined();
  expect(rotations()).toHaveLength(1);
});
