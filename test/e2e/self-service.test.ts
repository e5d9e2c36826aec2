// Self-service with a device key, on the whole sandbox (the app on the embedded host, the real SDKs against the Key
// Vault and ARM emulators, Azurite): the device makes its key and CSR with `openssl req`, POSTs the CSR with the
// user's token, and gets a certificate for the token's UPN that `openssl verify -purpose sslclient` accepts against
// the root. Key Vault creates nothing for it; the ledger records it, so listing shows it and offboarding revokes it.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { assertUpn, keyVaultCertificateName } from "../../src/domain/upn";
import { accessTokenPayload, createSigningKey, signAccessToken, unsignedToken } from "../../dev/emulators/identity";
import type { TokenClaims } from "../../dev/emulators/identity";
import { SANDBOX_USER_UPN } from "../../dev/sandbox/sandbox";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;
let ledger: Ledger;
const dir = mkdtempSync(join(tmpdir(), "self-service-"));
let files = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ vpnGroupGate: true });
  ledger = Ledger.fromConfig(getConfig());
});

afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** A delegated token of `upn` from the sandbox's identity emulator (alice's is the endpoints file's userToken). */
async function tokenOf(upn: string): Promise<string> {
  return upn === SANDBOX_USER_UPN ? sandbox.endpoints.userToken : sandbox.identity.controls.userToken(upn);
}

/** Calls a /me route with `upn`'s own token and no function key (the token is the proof), or with no credentials. */
async function me(method: "GET" | "POST", upn: string | undefined, body?: unknown): Promise<Answer> {
  return call(method, upn === undefined ? {} : { authorization: `Bearer ${await tokenOf(upn)}` }, body);
}

async function call(method: "GET" | "POST", auth: Record<string, string>, body?: unknown): Promise<Answer> {
  const response = await fetch(`${sandbox.endpoints.host}/api/v1/me/certificates`, {
    method,
    headers: {
      ...auth,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>, text };
}

function file(name: string, content?: string): string {
  files += 1;
  const path = join(dir, `${files}-${name}`);
  if (content !== undefined) writeFileSync(path, content);
  return path;
}

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { stdio: "pipe" }).toString();
}

/** What the device does: a new RSA key that stays on it, and a CSR for it. */
function deviceKey(): string {
  const key = file("device.key");
  openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key);
  return key;
}

function csrOf(key: string, subject: string, ...extra: string[]): string {
  return openssl("req", "-new", "-key", key, "-subj", subject, ...extra);
}

async function issued(upn: string, csr: string): Promise<Record<string, string>> {
  const answer = await me("POST", upn, { csr });
  if (answer.status !== 201) throw new Error(`POST /me/certificates answered ${answer.status}: ${answer.text}`);
  return answer.body as Record<string, string>;
}

const gatewayId = (): string => sandbox.endpoints.gatewayIds[0] ?? "";

function revokedOnGateway(): string[] {
  const gateway = sandbox.arm.controls.gateway(gatewayId()) as {
    properties: { vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] } };
  };
  return (gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? []).map(
    (r) => r.properties.thumbprint,
  );
}

describe("POST /api/v1/me/certificates", () => {
  it("issues alice a client certificate on her device's key that verifies for client auth against the root", async () => {
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    const signs = sandbox.keyVault.stats.operation("keys.sign").count;
    const key = deviceKey();
    const answer = await issued("alice@contoso.com", csrOf(key, "/CN=alice@contoso.com"));
    expect(Object.keys(answer).sort()).toEqual(["certificatePem", "chainPem", "notAfter", "thumbprint"]);

    const cert = file("alice.pem", answer.certificatePem);
    const root = file("root.pem", answer.chainPem);
    expect(openssl("verify", "-purpose", "sslclient", "-CAfile", root, cert).trim()).toBe(`${cert}: OK`);
    const shown = openssl("x509", "-in", cert, "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage");
    expect(shown).toMatch(/subject=CN ?= ?alice@contoso\.com/);
    expect(shown).toMatch(/X509v3 Extended Key Usage:\s*\n\s*TLS Web Client Authentication\s*\n/);
    expect(shown).toMatch(/email:alice@contoso\.com/);
    // The certificate carries the device's key: the private key never left the device.
    expect(openssl("x509", "-in", cert, "-noout", "-pubkey")).toBe(openssl("pkey", "-in", key, "-pubout"));
    expect(openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha1").replace(/[:\s]/g, "")).toContain(
      answer.thumbprint,
    );

    // Signed by the root's key in Key Vault; no certificate (so no user key) was created there.
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    expect(sandbox.keyVault.stats.operation("keys.sign").count).toBeGreaterThan(signs);

    const records = await ledger.listUserCertificates("alice@contoso.com");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: "active", source: "self-service", thumbprint: answer.thumbprint });
    // The audit names the token's user as the actor.
    const audit = await ledger.listAudit("alice@contoso.com");
    expect(audit.find((a) => a.action === "certificate.issued")?.actor).toMatch(/^user:alice@contoso\.com oid=/);
  });

  it("answers a retried POST of the same key with the same certificate, never a second one", async () => {
    const key = deviceKey();
    const first = await issued("bob@contoso.com", csrOf(key, "/CN=bob@contoso.com"));
    const again = await issued("bob@contoso.com", csrOf(key, "/CN=bob@contoso.com"));
    const otherCsrSameKey = await issued("bob@contoso.com", csrOf(key, "/"));
    expect(again).toEqual(first);
    expect(otherCsrSameKey.thumbprint).toBe(first.thumbprint);
    expect(await ledger.listUserCertificates("bob@contoso.com")).toHaveLength(1);
  });

  it("answers the recorded certificate, signing nothing, when the finished issuance's history was purged", async () => {
    const upn = "bob@contoso.com";
    const key = deviceKey();
    const first = await issued(upn, csrOf(key, "/"));
    const held = (await ledger.listUserCertificates(upn)).length;
    const record = (await ledger.listUserCertificates(upn)).find((r) => r.thumbprint === first.thumbprint);
    const instanceId = `issue-${record?.certificateName ?? ""}`;
    const purged = await fetch(`${sandbox.endpoints.host}/runtime/webhooks/durabletask/instances/${instanceId}`, {
      method: "DELETE",
      headers: { "x-functions-key": sandbox.endpoints.masterKey },
    });
    expect(purged.status).toBe(200);
    expect(sandbox.durable.inspect(instanceId)).toBeUndefined();
    const signs = sandbox.keyVault.stats.operation("keys.sign").count;
    const again = await issued(upn, csrOf(key, "/"));
    expect(again).toEqual(first);
    expect(sandbox.keyVault.stats.operation("keys.sign").count).toBe(signs);
    expect(await ledger.listUserCertificates(upn)).toHaveLength(held);
  });

  it("refuses a CSR for mallory sent with alice's token with 400, and issues nothing", async () => {
    const before = (await ledger.listUserCertificates("alice@contoso.com")).length;
    const signs = sandbox.keyVault.stats.operation("keys.sign").count;
    const cn = await me("POST", "alice@contoso.com", { csr: csrOf(deviceKey(), "/CN=mallory@contoso.com") });
    expect(cn.status).toBe(400);
    expect(cn.text).toMatch(/mallory@contoso\.com.*alice@contoso\.com/);
    const san = await me("POST", "alice@contoso.com", {
      csr: csrOf(deviceKey(), "/", "-addext", "subjectAltName=email:mallory@contoso.com"),
    });
    expect(san.status).toBe(400);
    expect(await ledger.listUserCertificates("mallory@contoso.com")).toEqual([]);
    expect(await ledger.listUserCertificates("alice@contoso.com")).toHaveLength(before);
    expect(sandbox.keyVault.stats.operation("keys.sign").count).toBe(signs);
  });

  it("refuses mallory, outside the VPN group, with her own token: 403 from the group gate, nothing signed", async () => {
    const signs = sandbox.keyVault.stats.operation("keys.sign").count;
    const answer = await me("POST", "mallory@contoso.com", { csr: csrOf(deviceKey(), "/") });
    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/not a member of the VPN group/);
    expect(sandbox.keyVault.stats.operation("keys.sign").count).toBe(signs);
    expect(await ledger.listUserCertificates("mallory@contoso.com")).toEqual([]);
  });

  it("refuses small RSA and EC keys with 400 naming the rule", async () => {
    const small = file("small.key");
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", small);
    const ec = file("ec.key");
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ec);
    const refusedSmall = await me("POST", "alice@contoso.com", { csr: csrOf(small, "/") });
    expect(refusedSmall.status).toBe(400);
    expect(refusedSmall.text).toMatch(/RSA-1024; at least RSA-2048/);
    const refusedEc = await me("POST", "alice@contoso.com", { csr: csrOf(ec, "/") });
    expect(refusedEc.status).toBe(400);
    expect(refusedEc.text).toMatch(/only RSA/);
  });

  it("refuses a caller without a user's own token: 401 without one (the function key is no proof), 403 for an app", async () => {
    const csr = csrOf(deviceKey(), "/");
    const none = await me("POST", undefined, { csr });
    expect(none.status).toBe(401);
    expect((await me("GET", undefined)).status).toBe(401);
    const keyOnly = await call("POST", { "x-functions-key": sandbox.endpoints.functionKey }, { csr });
    expect(keyOnly.status).toBe(401);
    const app = await call("POST", { authorization: `Bearer ${sandbox.endpoints.adminToken}` }, { csr });
    expect(app.status).toBe(403);
    expect(app.text).toMatch(/delegated token/);
  });

  it("refuses alice's forged or expired user tokens with 401 (mallory cannot pose as her): nothing is signed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const user = { upn: "alice@contoso.com", scopes: ["user_impersonation"] };
    const claims = (overrides: Partial<TokenClaims> = {}) =>
      accessTokenPayload(sandbox.identity.controls.claims({ user, ...overrides }));
    const forged = [
      await sandbox.identity.controls.sign(claims({ issuedAt: now - 7200, lifetimeSeconds: 3600 })),
      await sandbox.identity.controls.sign(claims({ audience: "api://someone-else" })),
      await signAccessToken(await createSigningKey(), claims()),
      unsignedToken(claims()),
    ];
    const signs = sandbox.keyVault.stats.operation("keys.sign").count;
    const csr = csrOf(deviceKey(), "/");
    for (const token of forged) {
      expect((await call("POST", { authorization: `Bearer ${token}` }, { csr })).status).toBe(401);
      expect((await call("GET", { authorization: `Bearer ${token}` })).status).toBe(401);
    }
    expect(sandbox.keyVault.stats.operation("keys.sign").count).toBe(signs);
  });

  it("holds a user to MAX_ACTIVE_CERTIFICATES_PER_USER (3), here and on every other issuance", async () => {
    const upn = "carol@contoso.com";
    for (let i = 0; i < 3; i += 1) await issued(upn, csrOf(deviceKey(), "/"));
    const fourth = await me("POST", upn, { csr: csrOf(deviceKey(), "/") });
    expect(fourth.status).toBe(409);
    expect(fourth.text).toMatch(/the cap is 3 \(MAX_ACTIVE_CERTIFICATES_PER_USER\)/);

    // The admin route's issuance (Key Vault-made key) is held to the same cap by the orchestration.
    const creates = sandbox.keyVault.stats.operation("certificates.create").count;
    const posted = await sandbox.api("POST", `/api/v1/users/${upn}/certificates`, { requestId: "INC-CAP-1" });
    expect(posted.status).toBe(202);
    const done = await sandbox.waitForInstance(`issue-${certificateName(upn, "INC-CAP-1")}`);
    expect(done.runtimeStatus).toBe("Failed");
    expect(String(done.output)).toMatch(/CertificateCapReached: .*the cap is 3/);
    expect(sandbox.keyVault.stats.operation("certificates.create").count).toBe(creates);
    expect((await ledger.listAudit(upn)).some((a) => a.action === "certificate.refused")).toBe(true);
  });
});

describe("GET /api/v1/me/certificates", () => {
  it("lists the caller's own certificates, public parts only, and nobody else's", async () => {
    const mine = await issued("ada@contoso.com", csrOf(deviceKey(), "/CN=ada@contoso.com"));
    const listed = await me("GET", "ada@contoso.com");
    expect(listed.status).toBe(200);
    const items = listed.body as unknown as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      thumbprint: mine.thumbprint,
      status: "active",
      source: "self-service",
      notAfter: mine.notAfter,
      certificatePem: mine.certificatePem,
    });
    expect(listed.text).not.toMatch(/PRIVATE KEY/);
    // The device holds the key: there is no PKCS#12 to export, and the export route says so instead of failing.
    const exported = await sandbox.api("POST", `/api/v1/users/ada@contoso.com/certificates/${mine.thumbprint}/pkcs12`, {
      passphrase: "correct horse battery staple",
    });
    expect(exported.status).toBe(409);
    const erin = await me("GET", "erin@contoso.com");
    expect(erin.body).toEqual([]);
  });
});

describe("offboarding", () => {
  it("revokes alice's self-service certificate on the gateway and refuses her a new one", async () => {
    const key = deviceKey();
    const thumbprint = (await issued("alice@contoso.com", csrOf(key, "/"))).thumbprint ?? "";
    const revoke = await sandbox.api("POST", "/api/v1/users/alice@contoso.com/revocations", {
      requestId: "LEAVER-SELF-1",
      reason: "left the company",
    });
    expect(revoke.status).toBe(202);
    await waitFor(
      async () => (await ledger.listUserCertificates("alice@contoso.com")).every((r) => r.status === "revoked"),
      { message: "every certificate of alice revoked in the ledger", timeoutMs: 30_000 },
    );
    await waitFor(() => revokedOnGateway().includes(thumbprint), {
      message: "alice's self-service thumbprint on the gateway's revoked list",
      timeoutMs: 30_000,
    });
    const again = await me("POST", "alice@contoso.com", { csr: csrOf(deviceKey(), "/") });
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/offboarded/);

    // Rehired (an admin's request says so): a new device key gets a certificate, the revoked one's key never again.
    const rehire = await sandbox.api("POST", "/api/v1/users/alice@contoso.com/certificates", {
      requestId: "REHIRE-SELF-1",
      rehire: true,
    });
    expect(rehire.status).toBe(202);
    const rehired = await sandbox.waitForInstance(`issue-${certificateName("alice@contoso.com", "REHIRE-SELF-1")}`);
    expect(rehired.runtimeStatus).toBe("Completed");
    const oldKey = await me("POST", "alice@contoso.com", { csr: csrOf(key, "/") });
    expect(oldKey.status).toBe(409);
    expect(oldKey.text).toMatch(new RegExp(`Key already used.*${thumbprint} is revoked`));
    expect((await me("POST", "alice@contoso.com", { csr: csrOf(deviceKey(), "/") })).status).toBe(201);
  });
});

function certificateName(upn: string, requestId: string): string {
  return keyVaultCertificateName(assertUpn(upn), requestId, getConfig().CLIENT_CERT_NAME_PREFIX);
}

describe("logs", () => {
  it("never hold a CSR in full or any key material", () => {
    expect(sandbox.logs.length).toBeGreaterThan(0);
    expect(sandbox.logs.filter((line) => /CERTIFICATE REQUEST|PRIVATE KEY/.test(line))).toEqual([]);
  });
});
