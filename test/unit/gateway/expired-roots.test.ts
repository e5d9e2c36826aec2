// Issue 8: Azure refuses every gateway PUT that carries an expired root (VpnClientRootCertificateExpired), so the
// planner leaves expired roots out of the write (a hand-added one included) and reports them, without writing for
// that alone.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { planSync, revokedEntryName, satisfies } from "../../../src/domain/gateway-config";
import type { DesiredState } from "../../../src/domain/gateway-config";
import {
  describeExpiredRoots,
  isExpiredRoot,
  rootNotAfter,
  splitExpiredRoots,
} from "../../../src/domain/expired-roots";

const DAY = 86_400_000;
const NOW = new Date("2026-12-06T10:00:00Z");
const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");

let keys: webcrypto.CryptoKeyPair;
beforeAll(async () => {
  keys = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ["sign", "verify"],
  );
});

async function rootData(commonName: string, notAfter: Date): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(8).toString("hex")}`,
      name: `CN=${commonName}`,
      notBefore: new Date(notAfter.getTime() - 365 * DAY),
      notAfter,
      keys,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    },
    webcrypto,
  );
  return cert.toString("base64");
}

describe("expired roots", () => {
  it("reads a root's notAfter and never judges data that is not a certificate", async () => {
    const notAfter = new Date("2026-01-01T00:00:00Z");
    expect(rootNotAfter(await rootData("r", notAfter))?.toISOString()).toBe(notAfter.toISOString());
    expect(rootNotAfter("MIIBodd")).toBeUndefined();
    const { kept, expired } = splitExpiredRoots([{ name: "odd", publicCertData: "MIIBodd" }], NOW);
    expect(kept).toHaveLength(1);
    expect(expired).toEqual([]);
  });

  it("leaves an expired hand-added root out of a write and names it", async () => {
    const managed = { name: "p2s-root-ca", publicCertData: await rootData("managed", new Date(NOW.getTime() + DAY)) };
    const legacy = { name: "legacy-root", publicCertData: await rootData("legacy", new Date(NOW.getTime() - DAY)) };
    const desired: DesiredState = { roots: [managed], revokedThumbprints: [tp(1)], expiredThumbprints: [] };
    const plan = planSync({ roots: [legacy, managed], revoked: [] }, desired, NOW);
    expect(plan.changed).toBe(true);
    expect(plan.next.roots).toEqual([managed]);
    expect(plan.rootsRemoved).toEqual([{ name: "legacy-root", notAfter: new Date(NOW.getTime() - DAY).toISOString() }]);
    expect(plan.next.revoked).toEqual([{ name: revokedEntryName(tp(1)), thumbprint: tp(1) }]);
    expect(describeExpiredRoots(plan.rootsRemoved)).toContain("legacy-root (expired ");
  });

  it("does not write only to remove an expired root (a write can disconnect users)", async () => {
    const managed = { name: "p2s-root-ca", publicCertData: await rootData("managed", new Date(NOW.getTime() + DAY)) };
    const legacy = { name: "legacy-root", publicCertData: await rootData("legacy", new Date(NOW.getTime() - DAY)) };
    const plan = planSync(
      { roots: [legacy, managed], revoked: [] },
      { roots: [managed], revokedThumbprints: [], expiredThumbprints: [] },
      NOW,
    );
    expect(plan.changed).toBe(false);
    // Should a write happen anyway (after a failed operation), it leaves the root out.
    expect(plan.next.roots).toEqual([managed]);
  });

  it("never adds an expired managed root, and does not expect it after the write", async () => {
    const managed = { name: "p2s-root-ca", publicCertData: await rootData("managed", new Date(NOW.getTime() - 1)) };
    const desired: DesiredState = { roots: [managed], revokedThumbprints: [tp(2)], expiredThumbprints: [] };
    const plan = planSync({ roots: [], revoked: [] }, desired, NOW);
    expect(plan.rootsAdded).toEqual([]);
    expect(plan.next.roots).toEqual([]);
    expect(satisfies(plan.next, desired, NOW)).toBe(true);
  });

  it("calls a root expired from its notAfter on, never before, and never when it cannot read it", async () => {
    const at = (name: string, notAfter: Date) =>
      rootData(name, notAfter).then((data) => ({ name, publicCertData: data }));
    const due = await at("due", NOW);
    const later = await at("later", new Date(NOW.getTime() + 1000));
    const odd = { name: "odd", publicCertData: "MIIBodd" };
    expect(isExpiredRoot(due, NOW)).toBe(true);
    expect(isExpiredRoot(later, NOW)).toBe(false);
    expect(isExpiredRoot(odd, NOW)).toBe(false);
    const { kept, expired } = splitExpiredRoots([due, later, odd], NOW);
    expect(kept).toEqual([later, odd]);
    expect(expired).toEqual([{ name: "due", notAfter: NOW.toISOString() }]);
  });

  it("names each expired root with its notAfter, comma-separated", () => {
    expect(
      describeExpiredRoots([
        { name: "a", notAfter: "2024-01-01T00:00:00.000Z" },
        { name: "b", notAfter: "2025-01-01T00:00:00.000Z" },
      ]),
    ).toBe("a (expired 2024-01-01T00:00:00.000Z), b (expired 2025-01-01T00:00:00.000Z)");
  });

  it("adds and expects a managed root that has not expired", async () => {
    const managed = { name: "p2s-root-ca", publicCertData: await rootData("managed", new Date(NOW.getTime() + DAY)) };
    const desired: DesiredState = { roots: [managed], revokedThumbprints: [], expiredThumbprints: [] };
    const plan = planSync({ roots: [], revoked: [] }, desired, NOW);
    expect(plan.rootsAdded).toEqual(["p2s-root-ca"]);
    expect(plan.next.roots).toEqual([managed]);
    expect(satisfies({ roots: [], revoked: [] }, desired, NOW)).toBe(false);
    expect(satisfies(plan.next, desired, NOW)).toBe(true);
  });
});
