// The promises a chaos run checks at its end, as pure functions of what the stores hold: no lost revocation, no
// duplicate certificate, no request stuck, the ledger, the gateways and Key Vault agreeing, and no secret where it
// must not be. Each answers how many things it checked and every violation it found.
import { scanForSecrets } from "./secret-scan";
import type { ScannedItem } from "./secret-scan";

/** One ledger certificate, as the checks need it. */
export interface LedgerCertificate {
  /** Lower-cased UPN. */
  readonly userKey: string;
  readonly certificateName: string;
  readonly status: "issuing" | "active" | "revoked" | "expired" | "superseded";
  readonly requestId: string;
  /** Uppercase SHA-1 hex; absent while issuing. */
  readonly thumbprint?: string;
  readonly notAfterMs?: number;
  /** Whether Key Vault holds it (false for self-service certificates on a device key). */
  readonly inKeyVault: boolean;
}

export interface GatewayRevocations {
  readonly gatewayId: string;
  /** Uppercase thumbprints on the gateway's revoked list (an ARM GET). */
  readonly revoked: readonly string[];
}

/** A client certificate in Key Vault. */
export interface VaultCertificate {
  readonly name: string;
  /** Uppercase SHA-1 hex of the current version; absent while pending. */
  readonly thumbprint?: string;
  readonly enabled: boolean;
}

/** How one request (a durable instance that serves a request) ended. */
export interface RequestEnd {
  readonly instanceId: string;
  readonly name: string;
  /** Durable runtime status: Completed, Failed, Terminated, Running, Pending... */
  readonly runtimeStatus: string;
  /** The public view's status when the request has one (succeeded, failed, running, pending). */
  readonly status?: string;
  /** Why it failed (the public view's error, or the orchestration's failure). */
  readonly reason?: string;
}

export interface ChaosSnapshot {
  readonly nowMs: number;
  /** Users whose last accepted lifecycle change was an offboarding (lower-cased). */
  readonly offboardedUsers: readonly string[];
  readonly ledger: readonly LedgerCertificate[];
  readonly gateways: readonly GatewayRevocations[];
  readonly vault: readonly VaultCertificate[];
  readonly requests: readonly RequestEnd[];
  readonly scanned: readonly ScannedItem[];
  /** Passphrases handed out during the run: none may appear anywhere scanned. */
  readonly passphrases: readonly string[];
}

export interface InvariantResult {
  readonly name: string;
  readonly checked: number;
  readonly violations: readonly string[];
}

const expired = (c: LedgerCertificate, nowMs: number): boolean => c.notAfterMs !== undefined && c.notAfterMs < nowMs;

/** Every offboarded user's certificates are on every gateway's revoked list, or expired. */
export function noLostRevocation(s: ChaosSnapshot): InvariantResult {
  const offboarded = new Set(s.offboardedUsers);
  const violations: string[] = [];
  let checked = 0;
  for (const c of s.ledger) {
    if (!offboarded.has(c.userKey) || c.thumbprint === undefined || expired(c, s.nowMs)) continue;
    for (const gateway of s.gateways) {
      checked += 1;
      if (!gateway.revoked.includes(c.thumbprint)) {
        violations.push(`${c.userKey}: ${c.certificateName} (${c.thumbprint}) not revoked on ${gateway.gatewayId}`);
      }
    }
  }
  return { name: "no lost revocation", checked, violations };
}

/** At most one certificate per request; no active certificate (ledger or Key Vault) for an offboarded user. */
export function noDuplicate(s: ChaosSnapshot): InvariantResult {
  const violations: string[] = [];
  const byRequest = new Map<string, string[]>();
  for (const c of s.ledger) byRequest.set(c.requestId, [...(byRequest.get(c.requestId) ?? []), c.certificateName]);
  for (const [requestId, names] of byRequest) {
    if (names.length > 1) violations.push(`request ${requestId} made ${String(names.length)}: ${names.join(", ")}`);
  }
  const offboarded = new Set(s.offboardedUsers);
  const vault = new Map(s.vault.map((v) => [v.name, v]));
  for (const c of s.ledger) {
    if (!offboarded.has(c.userKey) || expired(c, s.nowMs)) continue;
    if (c.status === "active" || c.status === "issuing" || c.status === "superseded") {
      violations.push(`${c.userKey} is offboarded but ${c.certificateName} is ${c.status}`);
    } else if (c.inKeyVault && vault.get(c.certificateName)?.enabled === true) {
      violations.push(`${c.userKey} is offboarded but ${c.certificateName} is enabled in Key Vault`);
    }
  }
  return { name: "no duplicate", checked: byRequest.size + offboarded.size, violations };
}

const ENDED = new Set(["Completed", "Failed", "Terminated"]);

/** Every request ended, succeeded or failed with a reason; none stuck. */
export function noneStuck(s: ChaosSnapshot): InvariantResult {
  const violations: string[] = [];
  for (const r of s.requests) {
    const what = `${r.name} ${r.instanceId}`;
    if (!ENDED.has(r.runtimeStatus)) violations.push(`${what} is still ${r.runtimeStatus}`);
    else if (r.status !== undefined && r.status !== "succeeded" && r.status !== "failed") {
      violations.push(`${what} ended ${r.runtimeStatus} but its request says ${r.status}`);
    } else if ((r.status === "failed" || r.runtimeStatus !== "Completed") && (r.reason ?? "").trim() === "") {
      violations.push(`${what} failed without a reason`);
    }
  }
  return { name: "no request stuck", checked: s.requests.length, violations };
}

/** Ledger, gateways and Key Vault agree on each certificate's state. */
export function storesAgree(s: ChaosSnapshot): InvariantResult {
  const violations: string[] = [];
  const vault = new Map(s.vault.map((v) => [v.name, v]));
  const inLedger = new Set(s.ledger.map((c) => c.certificateName));
  let checked = 0;
  for (const c of s.ledger) {
    if (expired(c, s.nowMs) || c.status === "expired") continue;
    checked += 1;
    const held = vault.get(c.certificateName);
    const revokedOn = s.gateways.filter((g) => c.thumbprint !== undefined && g.revoked.includes(c.thumbprint));
    const name = `${c.userKey} ${c.certificateName}`;
    if (c.status === "active" || c.status === "superseded") {
      if (revokedOn.length > 0)
        violations.push(`${name} is ${c.status} but revoked on ${revokedOn[0]?.gatewayId ?? ""}`);
      if (c.inKeyVault && held?.enabled !== true)
        violations.push(`${name} is ${c.status} but not enabled in Key Vault`);
      if (c.inKeyVault && held?.thumbprint !== undefined && held.thumbprint !== c.thumbprint) {
        violations.push(`${name}: Key Vault holds ${held.thumbprint}, the ledger ${c.thumbprint ?? "none"}`);
      }
    } else if (c.status === "revoked") {
      if (c.thumbprint !== undefined && revokedOn.length < s.gateways.length) {
        violations.push(
          `${name} is revoked but missing from ${String(s.gateways.length - revokedOn.length)} gateway(s)`,
        );
      }
      if (c.inKeyVault && held?.enabled === true) violations.push(`${name} is revoked but enabled in Key Vault`);
    } else if (held?.enabled === true && held.thumbprint !== undefined) {
      violations.push(`${name} is issuing in the ledger but issued and enabled in Key Vault`);
    }
  }
  for (const v of s.vault) {
    checked += 1;
    if (!inLedger.has(v.name) && v.enabled && v.thumbprint !== undefined) {
      violations.push(`Key Vault certificate ${v.name} is enabled and unknown to the ledger`);
    }
  }
  return { name: "ledger, gateways and Key Vault agree", checked, violations };
}

/** No private key, PKCS#12 or passphrase in history, logs, the ledger, the audit or blobs other than deliveries. */
export function noSecretLeaked(s: ChaosSnapshot): InvariantResult {
  const findings = scanForSecrets(s.scanned, s.passphrases);
  return {
    name: "no secret where it must not be",
    checked: s.scanned.length,
    violations: findings.map((f) => `${f.kind} in ${f.where}`),
  };
}

export const INVARIANTS = [noLostRevocation, noDuplicate, noneStuck, storesAgree, noSecretLeaked] as const;

export function checkAll(s: ChaosSnapshot): InvariantResult[] {
  return INVARIANTS.map((check) => check(s));
}
