// The sandbox as a user meets it: started whole, driven over HTTP with the real SDKs behind the app.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { join } from "node:path";
import { describeStartup } from "../../dev/sandbox/startup-phases";
import { checkEndpointsFile } from "../support/endpoints-check";
import { startTestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";
import type { TestSandbox } from "../support/sandbox";

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ vpnGroupGate: true });
  process.stdout.write(
    `sandbox start-up inside jest: ${Math.round(sandbox.startupMs)} ms (${describeStartup(sandbox.startup)})\n`,
  );
});

afterAll(async () => {
  await sandbox.stop();
});

describe("the sandbox", () => {
  it("answers health 200 with only the status anonymously, and every check passing with the function key", async () => {
    const anonymous = await fetch(`${sandbox.endpoints.host}/api/v1/health`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: "healthy" });
    expect((await fetch(`${sandbox.endpoints.host}/api/v1/health/details`)).status).toBe(401);
    const details = await sandbox.api("GET", "/api/v1/health/details");
    expect(details.status).toBe(200);
    const body = details.body as { failing: string[]; checks: { name: string }[] };
    expect(body.failing).toEqual([]);
    expect(body.checks.map((c) => c.name)).toEqual(["configuration", "storage", "keyVault", "gateways"]);
  });

  it("writes every local endpoint to endpoints.json, each one answering as what it names", async () => {
    const file = join(sandbox.settings.P2S_TRUSTED_CA_FILE ?? "", "..", "endpoints.json");
    const endpoints = await checkEndpointsFile(file);
    expect(endpoints).toEqual({ ...sandbox.endpoints });
    expect(endpoints.ticketSecret).toBe(sandbox.settings.TICKETING_SHARED_SECRET);
  });

  it("refuses the API without a function key", async () => {
    const response = await fetch(`${sandbox.endpoints.host}/api/v1/roots`);
    expect(response.status).toBe(401);
  });

  it("has bootstrapped the root and uploaded it to the gateway", async () => {
    const roots = await sandbox.api("GET", "/api/v1/roots");
    expect(roots.status).toBe(200);
    const [root] = roots.body as { name: string; publicCertData: string }[];
    expect(root?.publicCertData).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await sandbox.host.idle();
    const gateway = sandbox.arm.controls.gateway(sandbox.endpoints.gatewayIds[0] ?? "") as {
      properties: {
        vpnClientConfiguration: { vpnClientRootCertificates: { properties: { publicCertData: string } }[] };
      };
    };
    expect(
      gateway.properties.vpnClientConfiguration.vpnClientRootCertificates.map((r) => r.properties.publicCertData),
    ).toContain(root?.publicCertData);
  });

  it("issues a certificate, then offboards the user: revoked on the gateway and the session ended", async () => {
    const gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
    const issue = await sandbox.api("POST", "/api/v1/users/ada@contoso.com/certificates", { requestId: "INC0001" });
    expect(issue.status).toBe(202);
    const issued = await sandbox.waitForInstance(await sandbox.instanceOf(issue.body));
    expect(issued.runtimeStatus).toBe("Completed");
    const thumbprint = (issued.output as { thumbprint: string }).thumbprint;

    const ada = sandbox.arm.controls.connectSession(gatewayId, { vpnUserName: "ada@contoso.com" });
    const bob = sandbox.arm.controls.connectSession(gatewayId, { vpnUserName: "bob@contoso.com" });
    const revoke = await sandbox.api("POST", "/api/v1/users/ada@contoso.com/revocations", {
      requestId: "LEAVER-1",
      reason: "left the company",
    });
    expect(revoke.status).toBe(202);
    expect((await sandbox.waitForInstance(await sandbox.instanceOf(revoke.body))).runtimeStatus).toBe("Completed");
    await waitFor(
      async () => {
        const gateways = (await sandbox.api("GET", "/api/v1/gateways")).body as {
          revokedCount: number;
          inSync: boolean;
        }[];
        return gateways[0]?.revokedCount === 1 && gateways[0].inSync;
      },
      { timeoutMs: 20_000, intervalMs: 50, message: "the gateway to show one revocation, in sync" },
    );
    await waitFor(() => !sandbox.arm.controls.sessions(gatewayId).some((s) => s.vpnConnectionId === ada), {
      timeoutMs: 20_000,
      message: "ada's session to be ended",
    });
    expect(sandbox.arm.controls.sessions(gatewayId).map((s) => s.vpnConnectionId)).toEqual([bob]);
    const certificates = (await sandbox.api("GET", "/api/v1/users/ada@contoso.com/certificates")).body as {
      thumbprint: string;
      status: string;
    }[];
    expect(certificates).toEqual([expect.objectContaining({ thumbprint, status: "revoked" })]);
  });

  it("refuses a malformed UPN with 400 before anything starts", async () => {
    const before = sandbox.keyVault.stats.operation("certificates.create").count;
    const response = await sandbox.api(
      "POST",
      `/api/v1/users/${encodeURIComponent("a,O=x@contoso.com")}/certificates`,
      {
        requestId: "INC0002",
      },
    );
    expect(response.status).toBe(400);
    expect(response.text).toContain("','");
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(before);
  });
});
