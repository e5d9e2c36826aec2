// Issue 10 acceptance, through the sandbox with the real SDKs and emulators: every API route refuses a missing or bad
// Entra ID token with 401 (no token, expired, another audience, another tenant, an unknown signing key, alg none),
// the reader gets 403 on issue, revoke and export, and an issuance outside ALLOWED_UPN_DOMAINS is refused at the
// edge with its reason, audited with the authenticated actor, and no Key Vault certificate is created.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { accessTokenPayload, createSigningKey, signAccessToken, unsignedToken } from "../../dev/emulators/identity";
import type { TokenClaims } from "../../dev/emulators/identity";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { keyVaultCertificateName, parseUpn } from "../../src/domain/upn";
import { APP_ROLES } from "../../src/functions/auth/actor";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";

let sandbox: TestSandbox;
let ledger: Ledger;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ledger = Ledger.fromConfig(getConfig());
});

afterAll(async () => {
  await sandbox.stop();
});

const TARGET = "zed@contoso.com";
const THUMBPRINT = "AB".repeat(20);

/** Every API route but health, with the role it takes and a body that would be accepted. */
const ROUTES = [
  ["GET", `/api/v1/users/${TARGET}/certificates`, undefined],
  ["POST", `/api/v1/users/${TARGET}/certificates`, { requestId: "AUTH-1" }],
  ["POST", `/api/v1/users/${TARGET}/revocations`, { requestId: "AUTH-2", reason: "leaver" }],
  ["POST", `/api/v1/users/${TARGET}/certificates/${THUMBPRINT}/pkcs12`, { passphrase: "correct horse battery" }],
  ["GET", "/api/v1/gateways", undefined],
  ["GET", "/api/v1/roots", undefined],
  ["GET", "/api/v1/health/details", undefined],
] as const;

/** The claims of a token the app would accept (every role), so each forgery below is wrong in one way only. */
function goodClaims(overrides: Partial<TokenClaims> = {}): TokenClaims {
  return sandbox.identity.controls.claims({ roles: APP_ROLES, appDisplayName: "forger", ...overrides });
}

async function badTokens(): Promise<[string, string | null, string][]> {
  const now = Math.floor(Date.now() / 1000);
  const { sign } = sandbox.identity.controls;
  const stranger = await createSigningKey();
  return [
    ["no token", null, "Bearer"],
    [
      "an expired token",
      await sign(accessTokenPayload(goodClaims({ issuedAt: now - 7200, lifetimeSeconds: 3600 }))),
      "the token has expired",
    ],
    [
      "a token for another audience",
      await sign(accessTokenPayload(goodClaims({ audience: "api://someone-else" }))),
      "the token is for another audience",
    ],
    [
      "a token of another tenant",
      await sign(accessTokenPayload(goodClaims({ tenantId: "0badc0de-0000-4000-8000-000000000000" }))),
      "the token is from another issuer or tenant",
    ],
    [
      "a token signed by an unknown key",
      await signAccessToken(stranger, accessTokenPayload(goodClaims())),
      "the token is signed by an unknown key",
    ],
    [
      "an unsigned token (alg none)",
      unsignedToken(accessTokenPayload(goodClaims())),
      "the token is not signed with RS256",
    ],
  ];
}

function problemDetail(body: unknown): string {
  return (body as { detail?: string } | undefined)?.detail ?? "";
}

describe("access control through the sandbox", () => {
  it("accepts a well-formed token of the tenant on every route (the forgeries below differ only by their flaw)", async () => {
    const token = await sandbox.identity.controls.sign(accessTokenPayload(goodClaims()));
    for (const [method, path] of ROUTES.filter(([method]) => method === "GET")) {
      const response = await sandbox.api(method, path, undefined, token);
      expect([path, response.status]).toEqual([path, 200]);
    }
  });

  it("refuses every route with 401 for no token, expired, other audience, other tenant, unknown key, alg none: nothing starts", async () => {
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    for (const [what, token, reason] of await badTokens()) {
      for (const [method, path, body] of ROUTES) {
        const response = await sandbox.api(method, path, body, token);
        expect([what, method, path, response.status]).toEqual([what, method, path, 401]);
        const challenge = response.headers.get("www-authenticate") ?? "";
        if (token === null) expect(challenge).toBe("Bearer");
        else expect([what, challenge]).toEqual([what, `Bearer error="invalid_token", error_description="${reason}"`]);
      }
    }
    // Nothing was started or recorded for the target user.
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    const upn = parseUpn(TARGET);
    if (!upn.ok) throw new Error(upn.reason);
    const prefix = getConfig().CLIENT_CERT_NAME_PREFIX;
    expect(sandbox.durable.inspect(`issue-${keyVaultCertificateName(upn.upn, "AUTH-1", prefix)}`)).toBeUndefined();
    expect(await ledger.listUserCertificates(TARGET)).toEqual([]);
    expect(await ledger.listAudit(TARGET)).toEqual([]);
    expect(await ledger.getStanding(TARGET)).toEqual({});
  });

  it("gives the reader 403 on issue, revoke and export, naming the role, and lets it read", async () => {
    const reader = sandbox.endpoints.readerToken;
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    for (const [method, path, body, role] of [
      ["POST", `/api/v1/users/${TARGET}/certificates`, { requestId: "AUTH-3" }, "Certificates.Issue"],
      ["POST", `/api/v1/users/${TARGET}/revocations`, { requestId: "AUTH-4", reason: "leaver" }, "Certificates.Revoke"],
      [
        "POST",
        `/api/v1/users/${TARGET}/certificates/${THUMBPRINT}/pkcs12`,
        { passphrase: "correct horse battery" },
        "Certificates.Export",
      ],
    ] as const) {
      const response = await sandbox.api(method, path, body, reader);
      expect([path, response.status, problemDetail(response.body)]).toEqual([
        path,
        403,
        `the caller does not hold the app role ${role}`,
      ]);
    }
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    expect(await ledger.listAudit(TARGET)).toEqual([]);
    for (const path of [`/api/v1/users/${TARGET}/certificates`, "/api/v1/gateways", "/api/v1/roots"]) {
      expect((await sandbox.api("GET", path, undefined, reader)).status).toBe(200);
    }
    // A user's own delegated token holds no app role: the admin routes are not hers.
    const user = await sandbox.api("GET", "/api/v1/roots", undefined, sandbox.endpoints.userToken);
    expect(user.status).toBe(403);
  });

  it("refuses an issuance outside ALLOWED_UPN_DOMAINS at the edge: its reason, audited with the actor, no certificate", async () => {
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    const names = sandbox.keyVault.vault.certificateNames().length;
    const response = await sandbox.api("POST", "/api/v1/users/mallory@fabrikam.com/certificates", {
      requestId: "AUTH-5",
    });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({
      title: "UPN domain not allowed",
      detail: "certificates are issued only for UPNs in contoso.com; fabrikam.com is not one of them",
    });
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    expect(sandbox.keyVault.vault.certificateNames()).toHaveLength(names);
    expect(await ledger.listUserCertificates("mallory@fabrikam.com")).toEqual([]);
    const audit = await ledger.listAudit("mallory@fabrikam.com");
    expect(audit).toEqual([
      expect.objectContaining({
        action: "certificate.refused",
        actor: expect.stringMatching(
          new RegExp(`^app:p2s-sandbox-admin oid=[0-9a-f-]{36} appid=${sandbox.endpoints.adminClientId}$`),
        ) as string,
        source: "api",
        requestId: "AUTH-5",
        reason: "certificates are issued only for UPNs in contoso.com; fabrikam.com is not one of them",
        details: { rule: "ALLOWED_UPN_DOMAINS", domain: "fabrikam.com" },
      }),
    ]);
  });

  it("records the authenticated actor on an issuance and an offboarding it starts", async () => {
    const issue = await sandbox.api("POST", "/api/v1/users/yan@contoso.com/certificates", { requestId: "AUTH-6" });
    expect(issue.status).toBe(202);
    expect((await sandbox.waitForInstance((issue.body as { id: string }).id)).runtimeStatus).toBe("Completed");
    const revoke = await sandbox.api("POST", "/api/v1/users/yan@contoso.com/revocations", {
      requestId: "AUTH-7",
      reason: "leaver",
    });
    expect(revoke.status).toBe(202);
    expect((await sandbox.waitForInstance((revoke.body as { id: string }).id)).runtimeStatus).toBe("Completed");
    const actors = new Map((await ledger.listAudit("yan@contoso.com")).map((e) => [e.action, e.actor]));
    const admin = new RegExp(`^app:p2s-sandbox-admin oid=[0-9a-f-]{36} appid=${sandbox.endpoints.adminClientId}$`);
    expect(actors.get("certificate.requested")).toMatch(admin);
    expect(actors.get("certificate.issued")).toMatch(admin);
    expect([...actors.values()].some((actor) => actor === "api:function-key")).toBe(false);
  });
});
