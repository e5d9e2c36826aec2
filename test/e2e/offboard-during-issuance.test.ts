// A user offboarded while their certificate is still being made: the late certificate must still end revoked on
// the gateway and disabled in Key Vault.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox.stop();
});

it("revokes a certificate that was finished after the user was offboarded", async () => {
  const gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
  // Hold the merge long enough for the offboarding to land first.
  const held = sandbox.keyVault.faults.add({ operation: "certificates.merge", latencyMs: 1500, count: 1 });
  const issue = await sandbox.api("POST", "/api/v1/users/eve@contoso.com/certificates", { requestId: "INC0100" });
  expect(issue.status).toBe(202);
  // The rule removes itself when this issuance's merge takes it: from then on the merge is held in flight.
  await waitUntil(() => Promise.resolve(!sandbox.keyVault.faults.list().some((rule) => rule.id === held.id)));

  const revoke = await sandbox.api("POST", "/api/v1/users/eve@contoso.com/revocations", {
    requestId: "LEAVER-100",
    reason: "left during onboarding",
  });
  expect((await sandbox.waitForInstance((revoke.body as { id: string }).id)).runtimeStatus).toBe("Completed");

  const issued = await sandbox.waitForInstance((issue.body as { id: string }).id);
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
  await waitUntil(() => {
    const gateway = sandbox.arm.controls.gateway(gatewayId) as {
      properties: {
        vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] };
      };
    };
    const revoked = gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? [];
    return Promise.resolve(revoked.some((r) => r.properties.thumbprint === result.thumbprint));
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
  const held = sandbox.keyVault.faults.add({ operation: "certificates.get", latencyMs: 1500, count: 1 });
  const issue = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/certificates", { requestId: "INC0200" });
  expect(issue.status).toBe(202);
  await waitUntil(() => Promise.resolve(!sandbox.keyVault.faults.list().some((rule) => rule.id === held.id)));

  const revoke = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/revocations", {
    requestId: "LEAVER-200",
    reason: "offer withdrawn",
  });
  const offboarded = await sandbox.waitForInstance((revoke.body as { id: string }).id);
  expect(offboarded.runtimeStatus).toBe("Completed");
  // Nothing of the issuance was in the ledger yet: the offboarding revoked nothing by itself.
  expect((offboarded.output as { revokedThumbprints: string[] }).revokedThumbprints).toEqual([]);

  const issued = await sandbox.waitForInstance((issue.body as { id: string }).id);
  expect(issued.runtimeStatus).toBe("Completed");
  const result = issued.output as { status: string; thumbprint: string; certificateName: string };
  expect(result.status).toBe("revoked");
  expect(sandbox.keyVault.vault.describe(result.certificateName).enabled).toBe(false);
  // The issuance woke the writers itself: the thumbprint reaches the gateway without the safety-net timer.
  await waitUntil(() => Promise.resolve(revokedOnGateway(gatewayId).includes(result.thumbprint)));
});

it("issues an active certificate on a request made after the offboarding that says it is a rehire", async () => {
  const refused = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/certificates", { requestId: "INC0201" });
  expect(refused.status).toBe(409);
  const issue = await sandbox.api("POST", "/api/v1/users/ola@contoso.com/certificates", {
    requestId: "INC0201",
    rehire: true,
  });
  expect(issue.status).toBe(202);
  const issued = await sandbox.waitForInstance((issue.body as { id: string }).id);
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

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
