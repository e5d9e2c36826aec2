// Acceptance on the whole sandbox (at-least-once delivery on): the real issueClientCertificate orchestration signs
// with the root registry's current root. A certificate issued before a promotion verifies (openssl) against the old
// root only, one issued after against the new root only; the ledger and the Key Vault tag name the signing root; GET
// /api/v1/roots lists both with their states; the PKCS#12 route chains each certificate to its own root; once the old
// root is retired, its certificate is superseded and no longer exported.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { createNextRootNow, promoteRootNow, retireRootNow } from "../../../src/activities/root-rotation";
import { services } from "../../../src/activities/services";
import { generatePassphrase } from "../../../src/domain/passphrase";
import { derToPem } from "../../../src/domain/pem";
import type { RootAnswer } from "../../../src/functions/roots-http";
import { startTestSandbox } from "../../support/sandbox";
import type { TestSandbox } from "../../support/sandbox";
import { TempDir } from "../ca/ca-support";

const ROT = { rotationId: "rot-sandbox", actor: "user:admin@contoso.com" };

let sandbox: TestSandbox;
let dir: TempDir;

beforeAll(async () => {
  [sandbox, dir] = await Promise.all([startTestSandbox(), TempDir.create()]);
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
  const path = `/api/v1/users/${encodeURIComponent(upn)}/certificates`;
  const posted = await sandbox.api("POST", path, { requestId });
  expect(posted.status).toBe(202);
  const done = await sandbox.waitForInstance(await sandbox.instanceOf(posted.body));
  expect(done.runtimeStatus).toBe("Completed");
  const output = done.output as { thumbprint: string; certificateName: string };
  const listed = (await sandbox.api("GET", path)).body as { thumbprint: string; certificatePem: string }[];
  const mine = listed.find((c) => c.thumbprint === output.thumbprint);
  return { upn, ...output, certificatePem: mine?.certificatePem ?? "" };
}

async function roots(): Promise<RootAnswer[]> {
  const answer = await sandbox.api("GET", "/api/v1/roots");
  expect(answer.status).toBe(200);
  return answer.body as RootAnswer[];
}

/** openssl verify against one root alone: true when it verifies. */
async function verifies(issued: Issued, root: RootAnswer): Promise<boolean> {
  const rootFile = await dir.write(`${root.name}.pem`, derToPem(Buffer.from(root.publicCertData, "base64")));
  const leaf = await dir.write(`${issued.certificateName}.pem`, issued.certificatePem);
  const result = await dir.openssl(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", rootFile, leaf]);
  return result.code === 0 && result.stdout.includes(": OK");
}

/** The PKCS#12 route: its status, and the CA certificate the package carries (PEM) when it answered one. */
async function exportedRoot(issued: Issued): Promise<{ status: number; caPem?: string }> {
  const passphrase = generatePassphrase();
  const response = await fetch(
    `${sandbox.endpoints.host}/api/v1/users/${encodeURIComponent(issued.upn)}/certificates/${issued.thumbprint}/pkcs12`,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-functions-key": sandbox.endpoints.functionKey,
        authorization: `Bearer ${sandbox.endpoints.adminToken}`,
      },
      body: JSON.stringify({ passphrase }),
    },
  );
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) return { status: response.status };
  const file = await dir.write(`${issued.certificateName}.pfx`, bytes);
  const ca = await dir.openssl(["pkcs12", "-in", file, "-passin", `pass:${passphrase}`, "-nokeys", "-cacerts"]);
  return { status: 200, caPem: ca.stdout.slice(ca.stdout.indexOf("-----BEGIN CERTIFICATE-----")).trim() };
}

function pemOf(root: RootAnswer): string {
  return derToPem(Buffer.from(root.publicCertData, "base64")).trim();
}

it("signs with the registry's current root, before and after a promotion, and chains each export to its root", async () => {
  const alice = await issue("alice@contoso.com", "ROT-A");
  const [first] = await roots();
  if (first === undefined) throw new Error("no root listed");
  expect(first.state).toBe("current");

  const created = await createNextRootNow(ROT);
  await promoteRootNow({ ...ROT, name: created.name });
  const bob = await issue("bob@contoso.com", "ROT-B");

  const listed = await roots();
  expect(listed.map((r) => [r.name, r.state])).toEqual([
    [created.name, "current"],
    [first.name, "retiring"],
  ]);
  const second = listed[0] as RootAnswer;
  expect(second.thumbprint).toBe(created.thumbprint);

  expect(await verifies(alice, first)).toBe(true);
  expect(await verifies(alice, second)).toBe(false);
  expect(await verifies(bob, second)).toBe(true);
  expect(await verifies(bob, first)).toBe(false);

  const { ledger, keyVault } = services();
  expect((await ledger.getCertificate("bob@contoso.com", bob.certificateName))?.rootThumbprint).toBe(second.thumbprint);
  expect((await ledger.getCertificate("alice@contoso.com", alice.certificateName))?.rootThumbprint).toBe(
    first.thumbprint,
  );
  const tags = (await keyVault.certificates.getCertificate(bob.certificateName)).properties.tags;
  expect(tags?.rootThumbprint).toBe(second.thumbprint);

  expect(await exportedRoot(alice)).toEqual({ status: 200, caPem: pemOf(first) });
  expect(await exportedRoot(bob)).toEqual({ status: 200, caPem: pemOf(second) });

  expect(await retireRootNow({ ...ROT, name: first.name })).toEqual({ superseded: 1 });
  expect((await ledger.getCertificate("alice@contoso.com", alice.certificateName))?.status).toBe("superseded");
  expect((await exportedRoot(alice)).status).toBe(409);
  expect((await roots()).map((r) => [r.name, r.state])).toEqual([
    [created.name, "current"],
    [first.name, "retired"],
  ]);
});
