// Acceptance on the whole sandbox: the helpdesk's PKCS#12 delivery, POST /api/v1/users/{upn}/certificates/
// {thumbprint}/pkcs12, through the embedded host with the real SDKs against the Key Vault emulator and Azurite. The
// download opens with openssl and its passphrase and holds the key and the chain; only an active certificate of that
// user is exported; bad passphrases are refused; the key is required; every export is audited, and the passphrase
// shows nowhere: not in logs, the ledger, or any answer.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { X509Certificate } from "node:crypto";
import { Ledger } from "../../../src/clients/ledger";
import { getConfig, resetConfig } from "../../../src/config";
import { generatePassphrase } from "../../../src/domain/passphrase";
import { derToPem, pemBlocks } from "../../../src/domain/pem";
import { startTestSandbox } from "../../support/sandbox";
import type { TestSandbox } from "../../support/sandbox";
import { TempDir } from "./ca-support";
import type { CommandResult } from "./ca-support";
import { dumpTables } from "./sandbox-support";

let sandbox: TestSandbox;
let dir: TempDir;
let rootPem: string;
/** Every response body and header the tests saw, for the no-leak sweep. */
const seen: string[] = [];
/** Every passphrase the tests sent. */
const passphrases: string[] = [];

beforeAll(async () => {
  [sandbox, dir] = await Promise.all([startTestSandbox(), TempDir.create()]);
  const roots = (await sandbox.api("GET", "/api/v1/roots")).body as { publicCertData: string }[];
  rootPem = derToPem(Buffer.from(roots[0]?.publicCertData ?? "", "base64"));
});

afterAll(async () => {
  await Promise.all([sandbox.stop(), dir.remove()]);
});

interface Issued {
  readonly upn: string;
  readonly thumbprint: string;
  readonly certificateName: string;
  readonly certificatePem: string;
}

async function issue(upn: string, requestId: string): Promise<Issued> {
  const posted = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/certificates`, { requestId });
  expect(posted.status).toBe(202);
  const done = await sandbox.waitForInstance((posted.body as { id: string }).id);
  expect(done.runtimeStatus).toBe("Completed");
  const output = done.output as { thumbprint: string; certificateName: string };
  const listed = (await sandbox.api("GET", `/api/v1/users/${encodeURIComponent(upn)}/certificates`)).body as {
    thumbprint: string;
    certificatePem: string;
  }[];
  const mine = listed.find((c) => c.thumbprint === output.thumbprint);
  return {
    upn,
    thumbprint: output.thumbprint,
    certificateName: output.certificateName,
    certificatePem: mine?.certificatePem ?? "",
  };
}

interface Download {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  readonly text: string;
}

async function download(
  upn: string,
  thumbprint: string,
  body: unknown,
  options: { key?: string | null; token?: string | null; contentType?: string } = {},
): Promise<Download> {
  const key = options.key === undefined ? sandbox.endpoints.functionKey : options.key;
  const token = options.token === undefined ? sandbox.endpoints.adminToken : options.token;
  const response = await fetch(
    `${sandbox.endpoints.host}/api/v1/users/${encodeURIComponent(upn)}/certificates/${encodeURIComponent(thumbprint)}/pkcs12`,
    {
      method: "POST",
      headers: {
        "content-type": options.contentType ?? "application/json",
        ...(key === null ? {} : { "x-functions-key": key }),
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
  );
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString("latin1");
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, bytes, text };
}

function newPassphrase(): string {
  const passphrase = `${generatePassphrase()}-Ünïcødé`;
  passphrases.push(passphrase);
  return passphrase;
}

/** openssl pkcs12 with the passphrase; retried with -legacy if this OpenSSL needs it for the file's ciphers. */
async function openPkcs12(file: string, passphrase: string): Promise<CommandResult> {
  const args = ["pkcs12", "-in", file, "-info", "-nodes", "-passin", `pass:${passphrase}`];
  const opened = await dir.openssl(args);
  if (opened.code !== 0 && /unsupported|legacy/i.test(opened.stderr)) return dir.openssl([...args, "-legacy"]);
  return opened;
}

function problemDetail(result: Download): string {
  expect(result.headers.get("content-type")).toContain("application/problem+json");
  return (JSON.parse(result.text) as { detail: string }).detail;
}

describe("POST /api/v1/users/{upn}/certificates/{thumbprint}/pkcs12", () => {
  let ada: Issued;

  beforeAll(async () => {
    ada = await issue("Ada.Lovelace@contoso.com", "INC5000");
  });

  it.each([
    ["by default (PFX_ENCRYPTION aes256)", undefined, /PBES2, PBKDF2, AES-256-CBC/, "MAC: sha256"],
    ["when asked for legacy3des", "legacy3des", /pbeWithSHA1And3-KeyTripleDES-CBC/, "MAC: sha1"],
  ] as const)(
    "answers the PFX %s, which openssl opens with the passphrase: key, leaf and root",
    async (_what, encryption, cipher, mac) => {
      const passphrase = newPassphrase();
      // Any usual spelling of the thumbprint names the certificate.
      const spelled = ada.thumbprint.toLowerCase().replace(/(..)(?!$)/g, "$1:");
      const result = await download(ada.upn, spelled, {
        passphrase,
        ...(encryption === undefined ? {} : { encryption }),
        requestedBy: "helpdesk:grace",
        reason: "INC5000",
      });
      expect(result.status).toBe(200);
      expect(result.headers.get("content-type")).toBe("application/x-pkcs12");
      expect(result.headers.get("content-disposition")).toBe('attachment; filename="Ada.Lovelace@contoso.com.pfx"');
      expect(result.headers.get("cache-control")).toBe("no-store");

      const file = await dir.write(`ada-${encryption ?? "default"}.pfx`, result.bytes);
      const opened = await openPkcs12(file, passphrase);
      expect(opened.code).toBe(0);
      expect(opened.stderr).toMatch(cipher);
      expect(opened.stderr).toContain(mac);
      const blocks = pemBlocks(opened.stdout);
      expect(blocks.filter((b) => b.label === "PRIVATE KEY")).toHaveLength(1);
      const certificates = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => derToPem(b.der));
      expect(certificates).toHaveLength(2);
      expect(certificates).toContain(ada.certificatePem);
      expect(certificates).toContain(rootPem);
      expect(new X509Certificate(ada.certificatePem).fingerprint.replace(/:/g, "")).toBe(ada.thumbprint);

      // A wrong passphrase does not open it.
      expect((await dir.openssl(["pkcs12", "-in", file, "-nodes", "-passin", `pass:${passphrase}x`])).code).not.toBe(0);
    },
  );

  it("reads its default encryption from PFX_ENCRYPTION", async () => {
    const saved = process.env.PFX_ENCRYPTION;
    process.env.PFX_ENCRYPTION = "legacy3des";
    resetConfig();
    try {
      const passphrase = newPassphrase();
      const result = await download(ada.upn, ada.thumbprint, { passphrase });
      expect(result.status).toBe(200);
      const opened = await openPkcs12(await dir.write("ada-setting.pfx", result.bytes), passphrase);
      expect(opened.stderr).toContain("MAC: sha1");
    } finally {
      if (saved === undefined) Reflect.deleteProperty(process.env, "PFX_ENCRYPTION");
      else process.env.PFX_ENCRYPTION = saved;
      resetConfig();
    }
  });

  it("audits each export: the authenticated caller, the body's requestedBy only as its claim, never the passphrase", async () => {
    const ledger = Ledger.fromConfig(getConfig());
    const exports = (await ledger.listAudit("ada.lovelace@contoso.com")).filter(
      (e) => e.action === "certificate.exported",
    );
    expect(exports.length).toBeGreaterThanOrEqual(3);
    expect(exports).toContainEqual(
      expect.objectContaining({
        actor: expect.stringMatching(
          new RegExp(`^app:p2s-sandbox-admin oid=[0-9a-f-]{36} appid=${sandbox.endpoints.adminClientId}$`),
        ) as string,
        subject: "ada.lovelace@contoso.com",
        source: "api",
        reason: "INC5000",
        details: {
          certificateName: ada.certificateName,
          thumbprint: ada.thumbprint,
          encryption: "legacy3des",
          requestedByClaim: "helpdesk:grace",
        },
      }),
    );
    expect(new Set(exports.map((e) => e.id)).size).toBe(exports.length);
  });

  it.each([
    ["too short", "elevenchars"],
    ["too long", "x".repeat(257)],
    ["with a control character", "twelve chars\u0007long"],
    ["with a line break", "twelve chars\nlong"],
    ["not a string", 123456789012345],
  ])("refuses a passphrase %s with 400, naming the rule but never the passphrase", async (_what, passphrase) => {
    const result = await download(ada.upn, ada.thumbprint, { passphrase });
    expect(result.status).toBe(400);
    const detail = problemDetail(result);
    expect(detail).toMatch(/^passphrase: /);
    expect(result.text).not.toContain(String(passphrase));
  });

  it("refuses a missing passphrase, an unknown encryption, a malformed thumbprint and a non-JSON body", async () => {
    expect((await download(ada.upn, ada.thumbprint, {})).status).toBe(400);
    const badMode = await download(ada.upn, ada.thumbprint, { passphrase: newPassphrase(), encryption: "rc2" });
    expect(badMode.status).toBe(400);
    expect(problemDetail(badMode)).toMatch(/^encryption: /);
    const badThumbprint = await download(ada.upn, "not-a-thumbprint", { passphrase: newPassphrase() });
    expect(badThumbprint.status).toBe(400);
    expect(problemDetail(badThumbprint)).toMatch(/thumbprint/);
    const notJson = await download(ada.upn, ada.thumbprint, "passphrase=abc", { contentType: "text/plain" });
    expect(notJson.status).toBe(415);
  });

  it("answers 401 without a token and 403 to a token without Certificates.Export: no PFX, no audit", async () => {
    const ledger = Ledger.fromConfig(getConfig());
    const exported = async (): Promise<number> =>
      (await ledger.listAudit("ada.lovelace@contoso.com")).filter((e) => e.action === "certificate.exported").length;
    const before = await exported();
    const anonymous = await download(ada.upn, ada.thumbprint, { passphrase: newPassphrase() }, { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
    const reader = await download(
      ada.upn,
      ada.thumbprint,
      { passphrase: newPassphrase() },
      { token: sandbox.endpoints.readerToken },
    );
    expect(reader.status).toBe(403);
    expect(problemDetail(reader)).toBe("the caller does not hold the app role Certificates.Export");
    expect(await exported()).toBe(before);
  });

  it("answers 401 without the function key, and with a wrong one", async () => {
    expect((await download(ada.upn, ada.thumbprint, { passphrase: newPassphrase() }, { key: null })).status).toBe(401);
    expect((await download(ada.upn, ada.thumbprint, { passphrase: newPassphrase() }, { key: "wrong" })).status).toBe(
      401,
    );
  });

  it("answers 404 for a certificate the user does not have, including another user's", async () => {
    const grace = await issue("grace@contoso.com", "INC5001");
    const unknown = await download(ada.upn, "00".repeat(20), { passphrase: newPassphrase() });
    expect(unknown.status).toBe(404);
    const others = await download(ada.upn, grace.thumbprint, { passphrase: newPassphrase() });
    expect(others.status).toBe(404);
    expect((await download(grace.upn, grace.thumbprint, { passphrase: newPassphrase() })).status).toBe(200);
  });

  it("answers 409 for an expired certificate, and for one Key Vault has disabled", async () => {
    const ledger = Ledger.fromConfig(getConfig());
    const expired = await issue("hedy@contoso.com", "INC5002");
    const record = await ledger.getCertificate("hedy@contoso.com", expired.certificateName);
    if (record === undefined) throw new Error("no ledger record");
    await ledger.putCertificate({ ...record, status: "expired", updatedAt: new Date() });
    const answer = await download(expired.upn, expired.thumbprint, { passphrase: newPassphrase() });
    expect(answer.status).toBe(409);
    expect(problemDetail(answer)).toContain("expired");

    // Active in the ledger but disabled in Key Vault (an offboarding half-way): still never exported.
    const disabled = await issue("hedy@contoso.com", "INC5003");
    const { version } = sandbox.keyVault.vault.describe(disabled.certificateName);
    expect(version).not.toBe("");
    const { keyVaultClients } = await import("../../../src/clients/keyvault");
    await keyVaultClients(getConfig()).certificates.updateCertificateProperties(disabled.certificateName, "", {
      enabled: false,
    });
    const refused = await download(disabled.upn, disabled.thumbprint, { passphrase: newPassphrase() });
    expect(refused.status).toBe(409);
    expect(problemDetail(refused)).toContain("disabled");
  });

  it("never exports a revoked certificate: 409 once the user is offboarded", async () => {
    const katherine = await issue("katherine@contoso.com", "INC5004");
    expect((await download(katherine.upn, katherine.thumbprint, { passphrase: newPassphrase() })).status).toBe(200);
    const revoked = await sandbox.api("POST", "/api/v1/users/katherine@contoso.com/revocations", {
      requestId: "LEAVER-5004",
      reason: "left",
    });
    expect(revoked.status).toBe(202);
    expect((await sandbox.waitForInstance((revoked.body as { id: string }).id)).runtimeStatus).toBe("Completed");
    const answer = await download(katherine.upn, katherine.thumbprint, { passphrase: newPassphrase() });
    expect(answer.status).toBe(409);
    expect(problemDetail(answer)).toContain("revoked");
    expect(answer.headers.get("content-type")).not.toBe("application/x-pkcs12");
  });

  it("leaves no passphrase in logs, the ledger or any answer", async () => {
    await sandbox.host.idle();
    const haystacks: Record<string, string> = {
      logs: sandbox.logs.join("\n"),
      ledger: await dumpTables(sandbox.endpoints.storageConnectionString),
      answers: seen.join("\n"),
    };
    expect(haystacks.ledger).toContain("certificate.exported");
    expect(passphrases.length).toBeGreaterThan(10);
    for (const [where, text] of Object.entries(haystacks)) {
      const found = passphrases.filter((p) => text.includes(p) || text.includes(JSON.stringify(p).slice(1, -1)));
      expect({ where, found }).toEqual({ where, found: [] });
    }
  });
});
