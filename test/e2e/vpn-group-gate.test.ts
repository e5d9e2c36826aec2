// The VPN group gate end to end (ENTRA_VPN_GROUP_ID set, as in the sandbox): through the API, the real app, the
// Graph emulator and the Key Vault emulator. A user outside the group, a disabled user and an unknown user are each
// refused with their reason, audited with the actor, and Key Vault never sees a certificate create; a direct and a
// nested member get certificates; Graph's throttling is ridden out.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { SANDBOX_DIRECTORY } from "../../dev/sandbox/graph-seed";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { httpsRequest } from "../support/emulator-clients";
import { startTestSandbox } from "../support/sandbox";
import type { InstanceStatus, TestSandbox } from "../support/sandbox";
import { readFile } from "node:fs/promises";

let sandbox: TestSandbox;
let ca: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({ vpnGroupGate: true });
  ca = await readFile(sandbox.endpoints.caFile, "utf8");
});

afterAll(async () => {
  await sandbox.stop();
});

const creates = (): number => sandbox.keyVault.stats.operation("certificates.create").count;

async function issue(upn: string, requestId: string): Promise<InstanceStatus> {
  const posted = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, { requestId });
  expect(posted.status).toBe(202);
  return sandbox.waitForInstance(await sandbox.instanceOf(posted.body), 60_000);
}

describe("the VPN group gate", () => {
  it("runs in the sandbox against the Graph emulator", () => {
    expect(sandbox.settings.ENTRA_VPN_GROUP_ID).toBe(sandbox.endpoints.vpnGroupId);
    expect(sandbox.settings.GRAPH_ENDPOINT).toBe(sandbox.endpoints.graphUrl);
  });

  it.each([
    ["a user outside the group", SANDBOX_DIRECTORY.nonMember, "notInGroup", /is not a member of the VPN group/],
    ["a disabled user", SANDBOX_DIRECTORY.disabled, "accountDisabled", /account is disabled/],
    ["an unknown user", "nobody@contoso.com", "userNotFound", /does not exist in the directory/],
  ])("refuses %s with the reason, audited, and no Key Vault certificate", async (_what, upn, refusal, reason) => {
    const before = creates();
    const done = await issue(upn, `GATE-${refusal}`);
    expect(done.runtimeStatus).toBe("Failed");
    expect(JSON.stringify(done.output)).toContain(`refused: ${refusal}`);
    expect(JSON.stringify(done.output)).toMatch(reason);
    expect(creates()).toBe(before);

    const audit = await Ledger.fromConfig(getConfig()).listAudit(upn);
    expect(audit).toEqual([
      expect.objectContaining({
        action: "certificate.refused",
        // The caller the token proves: the sandbox's admin application.
        actor: expect.stringMatching(
          new RegExp(`^app:p2s-sandbox-admin oid=[0-9a-f-]{36} appid=${sandbox.endpoints.adminClientId}$`),
        ) as string,
        requestId: `GATE-${refusal}`,
        reason: expect.stringMatching(reason) as string,
        details: expect.objectContaining({ refusal, groupId: sandbox.endpoints.vpnGroupId }) as object,
      }),
    ]);
    const listed = await sandbox.api("GET", `/api/v1/users/${encodeURIComponent(upn)}/certificates`);
    expect(listed.body).toEqual([]);
  });

  it("issues to a direct member and to a member through a nested group", async () => {
    for (const [upn, requestId] of [
      ["alice@contoso.com", "GATE-direct"],
      [SANDBOX_DIRECTORY.nestedMember, "GATE-nested"],
    ] as const) {
      const before = creates();
      const done = await issue(upn, requestId);
      expect({ upn, status: done.runtimeStatus }).toEqual({ upn, status: "Completed" });
      expect(done.output).toMatchObject({ upn, status: "active" });
      expect(creates()).toBe(before + 1);
    }
  });

  it("issues to a user made a member through the emulator's control route, and refuses once disabled", async () => {
    const control = (body: unknown) =>
      httpsRequest(`${sandbox.endpoints.graphUrl}/_emulator/users`, { method: "POST", ca, body });
    expect((await control({ upn: "newhire@contoso.com", accountEnabled: true, member: true })).status).toBe(201);
    expect((await issue("newhire@contoso.com", "GATE-new-1")).runtimeStatus).toBe("Completed");
    expect((await control({ upn: "newhire@contoso.com", accountEnabled: false })).status).toBe(200);
    const refused = await issue("newhire@contoso.com", "GATE-new-2");
    expect(refused.runtimeStatus).toBe("Failed");
    expect(JSON.stringify(refused.output)).toContain("refused: accountDisabled");
  });

  it("rides out Graph throttling (429 with Retry-After) and issues", async () => {
    sandbox.graph.stats.reset();
    sandbox.graph.faults.add({
      operation: "users.get",
      status: 429,
      code: "TooManyRequests",
      retryAfterSeconds: 1,
      count: 2,
    });
    const done = await issue("bob@contoso.com", "GATE-throttled");
    expect(done.runtimeStatus).toBe("Completed");
    // Two throttled reads, then answered (more than once if the gate activity is delivered again: at least once).
    const reads = sandbox.graph.stats.operation("users.get");
    expect(reads).toMatchObject({ faulted: 2, byStatus: { "429": 2 } });
    expect(reads.byStatus["200"]).toBeGreaterThanOrEqual(1);
    expect(sandbox.graph.stats.operation("users.checkMemberGroups").handled).toBeGreaterThanOrEqual(1);
  });
});
