// The chaos run's invariant checks on a snapshot that holds, then on the same snapshot with one defect planted each
// time: an idempotency break (two certificates for one request), a dropped revocation, a request left stuck, a
// secret leaked (a key, a PKCS#12, a passphrase), stores that disagree, a root rotation's state out of step (a retired
// root still trusted or enabled, superseded certificates of a root not retired), an active user left unable to connect.
// Every planted defect must be caught. The snapshot is one after a root rotation: R1 retired, R2 current.
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";
import {
  checkAll,
  everyActiveUserConnects,
  noDuplicate,
  noLostRevocation,
  noneStuck,
  noSecretLeaked,
  storesAgree,
} from "../../../bench/chaos/invariants";
import type { ChaosSnapshot, LedgerCertificate } from "../../../bench/chaos/invariants";
import { derSecretKind } from "../../../bench/chaos/secret-scan";

const NOW = Date.UTC(2030, 0, 1);
const LATER = NOW + 90 * 86_400_000;
const G1 = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworkGateways/g1";
const G2 = `${G1}-2`;
const R1 = "1".repeat(40);
const R2 = "2".repeat(40);

const cert = (over: Partial<LedgerCertificate> & { certificateName: string }): LedgerCertificate => ({
  userKey: "ann@contoso.com",
  status: "active",
  requestId: `req-${over.certificateName}`,
  thumbprint: over.certificateName.toUpperCase().padEnd(40, "0"),
  notAfterMs: LATER,
  inKeyVault: true,
  rootThumbprint: R2,
  ...over,
});

/**
 * After a root rotation (R1 retired, off both gateways, disabled in Key Vault; R2 current): Ann holds an active
 * certificate of R2 and a superseded one of R1; Bob was offboarded: his two of R2 are revoked everywhere and disabled
 * in Key Vault, his one of R1 is revoked and was pruned with its root. Cy is active and his request failed with a
 * reason.
 */
function healthy(): ChaosSnapshot {
  const ann = cert({ certificateName: "a1" });
  const ann0 = cert({ certificateName: "a0", status: "superseded", rootThumbprint: R1 });
  const bob1 = cert({ certificateName: "b1", userKey: "bob@contoso.com", status: "revoked" });
  const bob2 = cert({ certificateName: "b2", userKey: "bob@contoso.com", status: "revoked", inKeyVault: false });
  const bob0 = cert({ certificateName: "b0", userKey: "bob@contoso.com", status: "revoked", rootThumbprint: R1 });
  const revoked = [bob1.thumbprint ?? "", bob2.thumbprint ?? ""];
  return {
    nowMs: NOW,
    offboardedUsers: ["bob@contoso.com"],
    activeUsers: ["ann@contoso.com", "cy@contoso.com"],
    roots: [
      { name: "root", state: "retired", thumbprint: R1, vaultEnabled: false },
      { name: "root-g2", state: "current", thumbprint: R2, vaultEnabled: true },
    ],
    ledger: [ann, ann0, bob1, bob2, bob0],
    gateways: [
      { gatewayId: G1, revoked, roots: [R2] },
      { gatewayId: G2, revoked, roots: [R2] },
    ],
    vault: [
      { name: "a1", thumbprint: ann.thumbprint ?? "", enabled: true },
      { name: "a0", thumbprint: ann0.thumbprint ?? "", enabled: true },
      { name: "b1", thumbprint: bob1.thumbprint ?? "", enabled: false },
      { name: "b0", thumbprint: bob0.thumbprint ?? "", enabled: false },
    ],
    requests: [
      { instanceId: "l1", name: "lifecycleRequest", runtimeStatus: "Completed", status: "succeeded" },
      {
        instanceId: "l2",
        name: "lifecycleRequest",
        user: "cy@contoso.com",
        runtimeStatus: "Completed",
        status: "failed",
        reason: "cap",
      },
      { instanceId: "o1", name: "offboardUser", runtimeStatus: "Failed", reason: "Activity failed: boom" },
    ],
    scanned: [
      { where: "log", text: "issued a1 (thumbprint A1000), public certificate MIIB..." },
      { where: "blob vpn-profiles/p.zip", bytes: new Uint8Array([0x50, 0x4b, 0x03, 0x04]) },
    ],
    passphrases: ["correct-horse-battery-staple"],
  };
}

describe("chaos invariants", () => {
  it("all hold on a consistent snapshot, and say how much they checked", () => {
    const results = checkAll(healthy());
    expect(results.map((r) => [r.name, r.violations])).toEqual([
      ["no lost revocation", []],
      ["no duplicate", []],
      ["no request stuck", []],
      ["ledger, gateways and Key Vault agree", []],
      ["every active user can connect", []],
      ["no secret where it must not be", []],
    ]);
    expect(results.map((r) => r.checked)).toEqual([5, 6, 3, 10, 2, 2]);
  });

  it("catch a dropped revocation: an offboarded user's certificate missing from one gateway", () => {
    const s = healthy();
    const dropped = {
      ...s,
      gateways: [s.gateways[0]!, { gatewayId: G2, revoked: [s.gateways[1]!.revoked[0]!], roots: [R2] }],
    };
    expect(noLostRevocation(dropped).violations).toEqual([expect.stringMatching(/b2 .* not revoked on .*g1-2$/)]);
    expect(storesAgree(dropped).violations).toEqual([expect.stringMatching(/b2 is revoked but missing from 1/)]);
  });

  it("let a revoked certificate of a root on no gateway off the revoked lists, and only then", () => {
    const s = healthy();
    expect(noLostRevocation(s).violations).toEqual([]);
    // R1 retired in the registry but still trusted by one gateway: Bob's b0 could connect there, and everywhere counts.
    const stillTrusted = { ...s, gateways: s.gateways.map((g, i) => (i === 1 ? { ...g, roots: [R2, R1] } : g)) };
    expect(noLostRevocation(stillTrusted).violations).toEqual([
      expect.stringMatching(/b0 .* not revoked on .*g1$/),
      expect.stringMatching(/b0 .* not revoked on .*g1-2$/),
    ]);
    expect(storesAgree(stillTrusted).violations).toEqual([
      expect.stringMatching(/b0 is revoked but missing from 2 gateway/),
      expect.stringMatching(/^root root is retired but still on .*g1-2$/),
    ]);
  });

  it("let an expired certificate off the revoked list (pruned after expiry)", () => {
    const s = healthy();
    const pruned: ChaosSnapshot = {
      ...s,
      ledger: s.ledger.map((c) => (c.certificateName === "b2" ? { ...c, notAfterMs: NOW - 1 } : c)),
      gateways: s.gateways.map((g) => ({ ...g, revoked: g.revoked.slice(0, 1) })),
    };
    expect(noLostRevocation(pruned).violations).toEqual([]);
  });

  it("catch a broken idempotency: two certificates for one request", () => {
    const s = healthy();
    const twice = cert({ certificateName: "a2", requestId: "req-a1" });
    const broken = {
      ...s,
      ledger: [...s.ledger, twice],
      vault: [...s.vault, { name: "a2", enabled: true, thumbprint: twice.thumbprint ?? "" }],
    };
    expect(noDuplicate(broken).violations).toEqual(["request req-a1 made 2: a1, a2"]);
  });

  it("catch an active certificate left to an offboarded user, in the ledger or in Key Vault", () => {
    const s = healthy();
    const active = {
      ...s,
      ledger: s.ledger.map((c) => (c.certificateName === "b1" ? { ...c, status: "active" as const } : c)),
    };
    expect(noDuplicate(active).violations).toEqual(["bob@contoso.com is offboarded but b1 is active"]);
    const enabled = { ...s, vault: s.vault.map((v) => (v.name === "b1" ? { ...v, enabled: true } : v)) };
    expect(noDuplicate(enabled).violations).toEqual(["bob@contoso.com is offboarded but b1 is enabled in Key Vault"]);
    expect(storesAgree(enabled).violations).toEqual(["bob@contoso.com b1 is revoked but enabled in Key Vault"]);
  });

  it("catch a request left stuck, one that ended with a status not final, and a failure without a reason", () => {
    const s = healthy();
    const with1 = (r: ChaosSnapshot["requests"][number]): ChaosSnapshot => ({ ...s, requests: [...s.requests, r] });
    expect(
      noneStuck(with1({ instanceId: "l3", name: "lifecycleRequest", runtimeStatus: "Running" })).violations,
    ).toEqual(["lifecycleRequest l3 is still Running"]);
    expect(
      noneStuck(with1({ instanceId: "l4", name: "lifecycleRequest", runtimeStatus: "Completed", status: "running" }))
        .violations,
    ).toEqual(["lifecycleRequest l4 ended Completed but its request says running"]);
    expect(
      noneStuck(
        with1({
          instanceId: "l5",
          name: "lifecycleRequest",
          runtimeStatus: "Completed",
          status: "failed",
          reason: " ",
        }),
      ).violations,
    ).toEqual(["lifecycleRequest l5 failed without a reason"]);
    expect(
      noneStuck(with1({ instanceId: "o2", name: "offboardUser", runtimeStatus: "Terminated" })).violations,
    ).toEqual(["offboardUser o2 failed without a reason"]);
    // A request whose record was lost: its instance ran, its GET answers 404.
    expect(
      noneStuck(with1({ instanceId: "l6", name: "lifecycleRequest", runtimeStatus: "Completed", unfollowable: 404 }))
        .violations,
    ).toEqual(["lifecycleRequest l6 is a request GET /api/v1/requests cannot follow (it answered 404)"]);
  });

  it("catch stores that disagree: ledger active but revoked on a gateway, Key Vault off, another thumbprint, an orphan", () => {
    const s = healthy();
    const ann = s.ledger[0]!;
    const onGateway = { ...s, gateways: s.gateways.map((g) => ({ ...g, revoked: [...g.revoked, ann.thumbprint!] })) };
    expect(storesAgree(onGateway).violations).toEqual([expect.stringMatching(/a1 is active but revoked on/)]);
    const disabled = { ...s, vault: s.vault.map((v) => (v.name === "a1" ? { ...v, enabled: false } : v)) };
    expect(storesAgree(disabled).violations).toEqual(["ann@contoso.com a1 is active but not enabled in Key Vault"]);
    const other = { ...s, vault: s.vault.map((v) => (v.name === "a1" ? { ...v, thumbprint: "F".repeat(40) } : v)) };
    expect(storesAgree(other).violations).toEqual([expect.stringMatching(/a1: Key Vault holds F+, the ledger A1/)]);
    const orphan = { ...s, vault: [...s.vault, { name: "x9", thumbprint: "E".repeat(40), enabled: true }] };
    expect(storesAgree(orphan).violations).toEqual(["Key Vault certificate x9 is enabled and unknown to the ledger"]);
    const issued = {
      ...s,
      ledger: s.ledger.map((c) => (c.certificateName === "a1" ? { ...c, status: "issuing" as const } : c)),
    };
    expect(storesAgree(issued).violations).toEqual([
      "ann@contoso.com a1 is issuing in the ledger but issued and enabled in Key Vault",
    ]);
  });

  it("catch a rotation's states out of step: superseded of a root not retired, active of a retired root, a retired root enabled", () => {
    const s = healthy();
    const notRetired = {
      ...s,
      roots: s.roots.map((r) => (r.thumbprint === R1 ? { ...r, state: "retiring" } : r)),
    };
    expect(storesAgree(notRetired).violations).toEqual([
      "ann@contoso.com a0 is superseded but its root is not retired",
    ]);
    const stillActive = {
      ...s,
      ledger: s.ledger.map((c) => (c.certificateName === "a0" ? { ...c, status: "active" as const } : c)),
    };
    expect(storesAgree(stillActive).violations).toEqual(["ann@contoso.com a0 is active but its root is retired"]);
    const enabled = { ...s, roots: s.roots.map((r) => (r.thumbprint === R1 ? { ...r, vaultEnabled: true } : r)) };
    expect(storesAgree(enabled).violations).toEqual(["root root is retired but enabled in Key Vault"]);
    const superseded = {
      ...s,
      vault: s.vault.map((v) => (v.name === "a0" ? { ...v, enabled: false } : v)),
    };
    expect(storesAgree(superseded).violations).toEqual([
      "ann@contoso.com a0 is superseded but not enabled in Key Vault",
    ]);
  });

  it("catch an active user left unable to connect: no certificate of a root every gateway trusts, nor a failure", () => {
    const s = healthy();
    const cannot = "ann@contoso.com is active but holds no valid certificate of a root every gateway trusts";
    // Ann's only active certificate is of a root one gateway no longer trusts (its superseded one does not count).
    const untrusted = { ...s, gateways: s.gateways.map((g, i) => (i === 1 ? { ...g, roots: [R1] } : g)) };
    expect(everyActiveUserConnects(untrusted).violations).toEqual([cannot]);
    const expiredOne = {
      ...s,
      ledger: s.ledger.map((c) => (c.certificateName === "a1" ? { ...c, notAfterMs: NOW - 1 } : c)),
    };
    expect(everyActiveUserConnects(expiredOne).violations).toEqual([cannot]);
    const revokedOne = {
      ...s,
      ledger: s.ledger.map((c) => (c.certificateName === "a1" ? { ...c, status: "revoked" as const } : c)),
    };
    expect(everyActiveUserConnects(revokedOne).violations).toEqual([cannot]);
    // Cy's failure without a reason, and Dee, active with nothing at all, are caught too.
    const noReason = { ...s, requests: s.requests.map((r) => (r.instanceId === "l2" ? { ...r, reason: "" } : r)) };
    expect(everyActiveUserConnects(noReason).violations).toEqual([
      "cy@contoso.com is active but holds no valid certificate of a root every gateway trusts",
    ]);
    const dee = { ...s, activeUsers: [...s.activeUsers, "dee@contoso.com"] };
    expect(everyActiveUserConnects(dee).violations).toEqual([
      "dee@contoso.com is active but holds no valid certificate of a root every gateway trusts",
    ]);
  });

  describe("catch a leaked secret", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
    const pkcs1 = privateKey.export({ type: "pkcs1", format: "der" });
    const encrypted = privateKey.export({ type: "pkcs8", format: "der", cipher: "aes-256-cbc", passphrase: "p" });
    const forgeKey = forge.pki.privateKeyFromPem(pem);
    const selfSigned = forge.pki.createCertificate();
    selfSigned.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
    selfSigned.sign(forgeKey, forge.md.sha256.create());
    const pfx = Buffer.from(
      forge.asn1
        .toDer(forge.pkcs12.toPkcs12Asn1(forgeKey, [selfSigned], "a-passphrase-of-length", { algorithm: "aes256" }))
        .getBytes(),
      "binary",
    );
    const leaks: [string, { text?: string; bytes?: Uint8Array }, string][] = [
      ["a PEM key in the logs", { text: `oops ${pem}` }, "private key (PEM)"],
      [
        "a base64 PKCS#8 key in history",
        { text: JSON.stringify({ input: pkcs8.toString("base64") }) },
        "private key (DER)",
      ],
      ["a base64 PKCS#1 key in the ledger", { text: `{"k":"${pkcs1.toString("base64")}"}` }, "private key (DER)"],
      ["an encrypted key in a blob", { bytes: encrypted }, "private key (DER)"],
      ["a PKCS#12 in a blob", { bytes: pfx }, "PKCS#12"],
      ["a base64 PKCS#12 in the audit", { text: pfx.toString("base64") }, "PKCS#12"],
      ["a private JWK", { text: JSON.stringify(privateKey.export({ format: "jwk" })) }, "private JWK"],
      ["a passphrase in the logs", { text: "delivered with correct-horse-battery-staple" }, "passphrase"],
    ];
    it.each(leaks)("%s", (_name, item, kind) => {
      const s = healthy();
      const leaked = { ...s, scanned: [...s.scanned, { where: "planted", ...item }] };
      expect(noSecretLeaked(leaked).violations).toContain(`${kind} in planted`);
      expect(noSecretLeaked(s).violations).toEqual([]);
    });

    it("does not take a certificate, a public key or a CSR for a key", () => {
      const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
      expect(derSecretKind(publicKey.export({ type: "spki", format: "der" }))).toBeUndefined();
      const certificate = forge.pki.createCertificate();
      certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
      certificate.sign(forgeKey, forge.md.sha256.create());
      const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), "binary");
      expect(derSecretKind(der)).toBeUndefined();
      const csr = forge.pki.createCertificationRequest();
      csr.publicKey = certificate.publicKey;
      csr.sign(forgeKey, forge.md.sha256.create());
      const csrDer = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes(), "binary");
      expect(derSecretKind(csrDer)).toBeUndefined();
    });
  });
});
