// A user offboarded while their certificate is still being made: the late certificate must still end revoked on
// the gateway and disabled in Key Vault. The issuance is held at a Key Vault request (an injected latency that lasts
// until the test releases it) while the offboarding runs to its end, so the order is fixed, not left to timing.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { SteerableClock } from "../support/steerable-clock";
import { waitFor, within } from "../support/wait";

const keyVaultClock = new SteerableClock();
let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ keyVaultClock });
});

/** Holds the next Key Vault request of `operation` in flight until released. */
function holdKeyVault(operation: string): { reached: Promise<void>; release(): void } {
  const held = keyVaultClock.holdNextSleep();
  sandbox.keyVault.faults.add({ operation, latencyMs: 1, count: 1 });
  return {
    reached: within(held.reached, { message: `the issuance's ${operation} request to reach Key Vault` }),
    release: held.release,
  };
}

afterAll(async () => {
  keyVaultClock.releaseAll();
  await sandbox.stop();
});

it("revokes a certificate that was finished after the user was offboarded", async () => {
  const gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
  // Hold the merge in flight until the offboarding has landed.
  const held = holdKeyVault("certificates.merge");
  const issue = await sandbox.api("POST", "/api/v1/users/eve@contoso.com/certificates", { requestId: "INC0100" });
  expect(issue.status).toBe(202);
  await held.reached;

  const revoke = await sandbox.api("POST", "/api/v1/users/eve@contoso.com/revocations", {
    requestId: "LEAVER-100",
    reason: "left during onboarding",
  });
  expect((await sandbox.waitForInstance(await sandbox.instanceOf(revoke.body))).runtimeStatus).toBe("Completed");
  held.release();

  const issued = await sandbox.waitForInstance(await sandbox.instanceOf(issue.body));
  expect(issued.runtimeStatus).toBe("Completed");
  const result = issued.output as { status: string; thumbprint: string; certificateName: string };
  expect(result.status).toBe("revoked");
  expect(sandbox.keyVault.vault.describe(result.certificateName).enabled).toBe(false);

  // The safety net (or any later writer pass) puts the late thumbprint on the gateway.
  const admin = await fetch(`${sandbox.endpoints.host}/admin/functions/gatewayReconcile`, {
    method: "POST",
    headers: { "x-functions-key": sandbox.endpoints.masterKey, "content-type": "application/json" },
    body: JSON.stringify({ input: "" }),
  });
  expect(admin.status).toBe(202);
  await waitFor(() => revokedOnGateway(gatewayId).includes(result.thumbprint), {
    timeoutMs: 20_000,
    message: "the late thumbprint on the gateway after gatewayReconcile",
  });
  const [record] = (await sandbox.api("GET", "/api/v1/users/eve@contoso.com/certificates")).body as {
    status: string;
    thumbprint: string;
  }[];
  expect(record).toMatchObject({ status: "revoked", thumbprint: result.thumbprint });
});

it("revokes a certificate requested before its user was offboarded, when the offboarding reached the ledger first", async () => {
  const gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
  // Hold the issuance in its first step (the root read), before it has written anything to the ledger.
  const held = holdKeyVault("certificates.get");
  const issue = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/certificates", { requestId: "INC0200" });
  expect(issue.status).toBe(202);
  await held.reached;

  const revoke = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/revocations", {
    requestId: "LEAVER-200",
    reason: "offer withdrawn",
  });
  const offboarded = await sandbox.waitForInstance(await sandbox.instanceOf(revoke.body));
  expect(offboarded.runtimeStatus).toBe("Completed");
  held.release();
  // Nothing of the issuance was in the ledger yet: the offboarding revoked nothing by itself.
  expect((offboarded.output as { revokedThumbprints: string[] }).revokedThumbprints).toEqual([]);

  const issued = await sandbox.waitForInstance(await sandbox.instanceOf(issue.body));
  expect(issued.runtimeStatus).toBe("Completed");
  const result = issued.output as { status: string; thumbprint: string; certificateName: string };
  expect(result.status).toBe("revoked");
  expect(sandbox.keyVault.vault.describe(result.certificateName).enabled).toBe(false);
  // The issuance woke the writers itself: the thumbprint reaches the gateway without the safety-net timer.
  await waitFor(() => revokedOnGateway(gatewayId).includes(result.thumbprint), {
    timeoutMs: 20_000,
    message: "the late thumbprint on the gateway, through the writers the issuance woke",
  });
});

it("issues an active certificate on a request made after the offboarding that says it is a rehire", async () => {
  const refused = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/certificates", { requestId: "INC0201" });
  expect(refused.status).toBe(409);
  const issue = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/certificates", {
    requestId: "INC0201",
    rehire: true,
  });
  expect(issue.status).toBe(202);
  const issued = await sandbox.waitForInstance(await sandbox.instanceOf(issue.body));
  expect(issued.runtimeStatus).toBe("Completed");
  expect((issued.output as { status: string }).status).toBe("active");
});

function revokedOnGateway(gatewayId: string): string[] {
  const gateway = sandbox.arm.controls.gateway(gatewayId) as {
    properties: { vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] } };
  };
  return (gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? []).map(
    (r) => r.properties.thumbprint,
  );
}
