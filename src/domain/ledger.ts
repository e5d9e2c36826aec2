// The ledger's records and the rules for moving a certificate between states. Pure: the table client persists them.

export const CERTIFICATE_STATUSES = ["issuing", "active", "revoked", "expired", "superseded"] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export const REQUEST_SOURCES = [
  "hr",
  "entra",
  "ticket",
  "api",
  "renewal",
  "sandbox",
  "self-service",
  "rotation",
] as const;
export type RequestSource = (typeof REQUEST_SOURCES)[number];

/** One client certificate in the inventory. Public data only: never a key, a PFX or a passphrase. */
export interface CertificateRecord {
  /** Lower-cased UPN: the partition of the user's certificates. */
  readonly userKey: string;
  /** The UPN as requested (display). */
  readonly upn: string;
  /** Key Vault certificate name; unique per issuance, derived from the request. */
  readonly certificateName: string;
  readonly status: CertificateStatus;
  readonly requestId: string;
  readonly source: RequestSource;
  /** Id of the triggering item in its source system (HR event id, ticket number...). */
  readonly sourceId: string;
  /** Uppercase SHA-1 hex; absent while issuing. */
  readonly thumbprint?: string;
  readonly serialNumber?: string;
  readonly rootThumbprint?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
  /** When the request was first recorded; an offboarding at or after it revokes the certificate it makes. */
  readonly requestedAt?: Date;
  /** Device-key certificates only (Key Vault holds nothing of them): the certificate, PEM. */
  readonly certificatePem?: string;
  readonly updatedAt: Date;
}

/**
 * A user's latest offboarding, by the time it took effect (the upstream time, or when the request was accepted): with
 * no later (re)hire, the user gets no new certificate, and one still being made ends revoked.
 */
export interface OffboardingRecord {
  readonly userKey: string;
  readonly offboardedAt: Date;
  readonly requestId: string;
  readonly reason: string;
}

/** A user's latest rehire, by the time it took effect: a certificate request that said `rehire: true`. */
export interface HireRecord {
  readonly userKey: string;
  readonly hiredAt: Date;
  readonly requestId: string;
}

/** Certificates an offboarding revokes: every one that is or may become usable. */
export const LIVE_STATUSES: readonly CertificateStatus[] = ["issuing", "active", "superseded"];

export function isLive(record: Pick<CertificateRecord, "status">): boolean {
  return LIVE_STATUSES.includes(record.status);
}

/** One append-only audit entry: who did what to which subject, when, why, from where. */
export interface AuditEntry {
  /** Deterministic per action, so a retried activity writes it once. */
  readonly id: string;
  readonly at: Date;
  /** The principal or system that caused it (ticket requester, "hr", "timer:gatewayReconcile"...). */
  readonly actor: string;
  readonly action: string;
  /** Lower-cased UPN, gateway name or "root". */
  readonly subject: string;
  readonly reason: string;
  readonly source: string;
  readonly requestId?: string;
  /** Small public facts (thumbprints, counts); never secrets. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

const TRANSITIONS: Readonly<Record<CertificateStatus, readonly CertificateStatus[]>> = {
  issuing: ["active", "revoked"],
  active: ["revoked", "expired", "superseded"],
  superseded: ["revoked", "expired"],
  // A revoked certificate stays revoked; it leaves the gateway's list once expired, but its record keeps "revoked".
  revoked: [],
  expired: [],
};

export function canTransition(from: CertificateStatus, to: CertificateStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Thumbprints that must be on every gateway's revocation list at `now`: revoked and not yet expired. */
export function revokedThumbprints(records: Iterable<CertificateRecord>, now: Date): string[] {
  const result = new Set<string>();
  for (const r of records) {
    if (r.status !== "revoked" || r.thumbprint === undefined) continue;
    if (r.notAfter !== undefined && r.notAfter.getTime() <= now.getTime()) continue;
    result.add(r.thumbprint);
  }
  return [...result].sort();
}

/**
 * Encodes a value for use as an Azure Table PartitionKey or RowKey, which refuse '/', '\', '#', '?' and control
 * characters. Reversible, and the identity for the usual UPN characters.
 */
export function tableKey(value: string): string {
  let out = "";
  for (const c of value) {
    const code = c.charCodeAt(0);
    const forbidden = "/\\#?%".includes(c) || code < 0x20 || (code >= 0x7f && code <= 0x9f);
    out += forbidden ? `%${code.toString(16).padStart(2, "0")}` : c;
  }
  return out;
}

/** Row keys that sort in time order and stay unique for the same instant. */
export function auditRowKey(at: Date, id: string): string {
  return `${at.toISOString()}_${tableKey(id)}`;
}

/** What the last gateway writer pass did, for GET /api/v1/gateways and operators. */
export interface GatewaySyncRecord {
  readonly gatewayId: string;
  readonly lastSyncAt: Date;
  readonly outcome: string;
  readonly detail: string;
  readonly revokedCount: number;
  readonly rootCount: number;
}
