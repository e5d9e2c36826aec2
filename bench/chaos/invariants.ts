// The promises a chaos run checks at its end, as pure functions of what the stores hold: no lost revocation, no
// duplicate certificate, no request stuck, the ledger, the gateways and Key Vault agreeing, every active user able to
// connect (through a root rotation too), and no secret where it must not be. Each answers how many things it checked and every violation it found.
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
  /** Uppercase SHA-1 hex of the root that signed it (the first root's for entries older than rotation). */
  readonly rootThumbprint?: string;
}

export interface GatewayRevocations {
  readonly gatewayId: string;
  /** Uppercase thumbprints on the gateway's revoked list (an ARM GET). */
  readonly revoked: readonly string[];
  /** Uppercase thumbprints of the roots it trusts (the same GET). */
  readonly roots: readonly string[];
}

/** A managed root: its state in the root registry and whether any Key Vault version of it is enabled. */
export interface RootView {
  readonly name: string;
  readonly state: string;
  readonly thumbprint?: string;
  readonly vaultEnabled: boolean;
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
  /** The lower-cased UPN it is about, when it is about one user. */
  readonly user?: string;
  /** The public view's status when the request has one (succeeded, failed, running, pending). */
  readonly status?: string;
  /** What it reports of its end where it says (a root rotation: completed or cancelled). */
  readonly outcome?: string;
  /** Why it failed (the public view's error, or the orchestration's failure). */
  readonly reason?: string;
  /** A request of its own (its input carries its record) whose GET did not answer 200: what it answered. */
  readonly unfollowable?: number;
}

export interface ChaosSnapshot {
  readonly nowMs: number;
  /** Users whose last accepted lifecycle change was an offboarding (lower-cased). */
  readonly offboardedUsers: readonly string[];
  /** Users whose last accepted lifecycle change was an onboarding (lower-cased). */
  readonly activeUsers: readonly string[];
  readonly roots: readonly RootView[];
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

/** Whether the root that signed `c` is on no gateway: then nothing it signed can connect, revoked or not. */
const rootGone = (c: LedgerCertificate, s: ChaosSnapshot): boolean =>
  c.rootThumbprint !== undefined && s.gateways.every((g) => !g.roots.includes(c.rootThumbprint ?? ""));

/** Every offboarded user's certificates are on every gateway's revoked list, expired, or of a root on no gateway. */
export function noLostRevocation(s: ChaosSnapshot): InvariantResult {
  const offboarded = new Set(s.offboardedUsers);
  const violations: string[] = [];
  let checked = 0;
  for (const c of s.ledger) {
    if (!offboarded.has(c.userKey) || c.thumbprint === undefined || expired(c, s.nowMs)) continue;
    if (rootGone(c, s)) {
      checked += 1;
      continue;
    }
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

/** Every request ended, succeeded or failed with a reason; none stuck, none its GET cannot find. */
export function noneStuck(s: ChaosSnapshot): InvariantResult {
  const violations: string[] = [];
  for (const r of s.requests) {
    const what = `${r.name} ${r.instanceId}`;
    if (r.unfollowable !== undefined) {
      violations.push(
        `${what} is a request GET /api/v1/requests cannot follow (it answered ${String(r.unfollowable)})`,
      );
    } else if (!ENDED.has(r.runtimeStatus)) violations.push(`${what} is still ${r.runtimeStatus}`);
    else if (r.status !== undefined && r.status !== "succeeded" && r.status !== "failed") {
      violations.push(`${what} ended ${r.runtimeStatus} but its request says ${r.status}`);
    } else if ((r.status === "failed" || r.runtimeStatus !== "Completed") && (r.reason ?? "").trim() === "") {
      violations.push(`${what} failed without a reason`);
    }
  }
  return { name: "no request stuck", checked: s.requests.length, violations };
}

/**
 * Ledger, gateways and Key Vault agree on each certificate's state, and on each root's: a retired root is on no
 * gateway and disabled in Key Vault; a certificate is superseded exactly when its root is retired.
 */
export function storesAgree(s: ChaosSnapshot): InvariantResult {
  const violations: string[] = [];
  const retired = new Set(s.roots.filter((r) => r.state === "retired").map((r) => r.thumbprint ?? ""));
  const vault = new Map(s.vault.map((v) => [v.name, v]));
  const inLedger = new Set(s.ledger.map((c) => c.certificateName));
  let checked = 0;
  for (const c of s.ledger) {
    if (expired(c, s.nowMs) || c.status === "expired") continue;
    checked += 1;
    const held = vault.get(c.certificateName);
    const revokedOn = s.gateways.filter((g) => c.thumbprint !== undefined && g.revoked.includes(c.thumbprint));
    const name = `${c.userKey} ${c.certificateName}`;
    const ofRetired = c.rootThumbprint !== undefined && retired.has(c.rootThumbprint);
    if (c.status === "superseded" && !ofRetired) violations.push(`${name} is superseded but its root is not retired`);
    if (c.status === "active" && ofRetired) violations.push(`${name} is active but its root is retired`);
    if (c.status === "active" || c.status === "superseded") {
      if (revokedOn.length > 0)
        violations.push(`${name} is ${c.status} but revoked on ${revokedOn[0]?.gatewayId ?? ""}`);
      if (c.inKeyVault && held?.enabled !== true)
        violations.push(`${name} is ${c.status} but not enabled in Key Vault`);
      if (c.inKeyVault && held?.thumbprint !== undefined && held.thumbprint !== c.thumbprint) {
        violations.push(`${name}: Key Vault holds ${held.thumbprint}, the ledger ${c.thumbprint ?? "none"}`);
      }
    } else if (c.status === "revoked") {
      if (c.thumbprint !== undefined && revokedOn.length < s.gateways.length && !rootGone(c, s)) {
        violations.push(
          `${name} is revoked but missing from ${String(s.gateways.length - revokedOn.length)} gateway(s)`,
        );
      }
      if (c.inKeyVault && held?.enabled === true) violations.push(`${name} is revoked but enabled in Key Vault`);
    } else if (held?.enabled === true && held.thumbprint !== undefined) {
      violations.push(`${name} is issuing in the ledger but issued and enabled in Key Vault`);
    }
  }
  for (const root of s.roots.filter((r) => r.state === "retired")) {
    checked += 1;
    if (root.vaultEnabled) violations.push(`root ${root.name} is retired but enabled in Key Vault`);
    const on = s.gateways.filter((g) => root.thumbprint !== undefined && g.roots.includes(root.thumbprint));
    if (on.length > 0) violations.push(`root ${root.name} is retired but still on ${on[0]?.gatewayId ?? ""}`);
  }
  for (const v of s.vault) {
    checked += 1;
    if (!inLedger.has(v.name) && v.enabled && v.thumbprint !== undefined) {
      violations.push(`Key Vault certificate ${v.name} is enabled and unknown to the ledger`);
    }
  }
  return { name: "ledger, gateways and Key Vault agree", checked, violations };
}

/**
 * Every active user holds a valid (unexpired) active certificate of a root every gateway trusts, or a request about
 * them failed with a reason.
 */
export function everyActiveUserConnects(s: ChaosSnapshot): InvariantResult {
  const violations: string[] = [];
  const trustedEverywhere = (root: string | undefined): boolean =>
    root !== undefined && s.gateways.every((g) => g.roots.includes(root));
  for (const user of s.activeUsers) {
    const connects = s.ledger.some(
      (c) =>
        c.userKey === user &&
        c.status === "active" &&
        c.notAfterMs !== undefined &&
        !expired(c, s.nowMs) &&
        trustedEverywhere(c.rootThumbprint),
    );
    const failed = s.requests.some(
      (r) =>
        r.user === user && (r.status === "failed" || r.runtimeStatus === "Failed") && (r.reason ?? "").trim() !== "",
    );
    if (!connects && !failed) {
      violations.push(`${user} is active but holds no valid certificate of a root every gateway trusts`);
    }
  }
  return { name: "every active user can connect", checked: s.activeUsers.length, violations };
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

export const INVARIANTS = [
  noLostRevocation,
  noDuplicate,
  noneStuck,
  storesAgree,
  everyActiveUserConnects,
  noSecretLeaked,
] as const;

export function checkAll(s: ChaosSnapshot): InvariantResult[] {
  return INVARIANTS.map((check) => check(s));
}
