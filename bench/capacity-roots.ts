// The simulated managed roots: real self-signed certificates (the planner reads a root's notAfter from its data),
// with the registry's states (src/domain/root-registry.ts). The keys are throwaway: nothing is signed with them.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { RootEntry } from "../src/domain/gateway-config";
import { isTrusted } from "../src/domain/root-registry";
import type { RootState } from "../src/domain/root-registry";
import { thumbprintOf } from "../src/domain/thumbprint";

export interface SimRoot {
  readonly name: string;
  readonly thumbprint: string;
  readonly entry: RootEntry;
  readonly notAfter: Date;
  state: RootState;
}

/** A root named `name`, valid from `from` for `years` years. */
export async function makeRoot(name: string, from: Date, years: number, serial: number): Promise<SimRoot> {
  const keys = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ["sign", "verify"],
  );
  const notAfter = new Date(from);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${serial.toString(16).padStart(8, "0")}`,
      name: `CN=${name}`,
      notBefore: from,
      notAfter,
      keys,
      signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    },
    webcrypto,
  );
  const der = new Uint8Array(cert.rawData);
  return {
    name,
    thumbprint: thumbprintOf(der),
    entry: { name, publicCertData: cert.toString("base64") },
    notAfter,
    state: "current",
  };
}

export function trustedRoots(roots: readonly SimRoot[]): SimRoot[] {
  return roots.filter((r) => isTrusted(r.state));
}
