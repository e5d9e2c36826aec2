// The inputs and outputs of client certificate issuance (public data only: history is plain text).
import type { RequestSource } from "./ledger";
import type { RequestRecordInput } from "./requests";

export interface IssuanceRequest {
  readonly upn: string;
  /** Idempotency key: the same request id never makes a second certificate. */
  readonly requestId: string;
  readonly source: RequestSource;
  readonly sourceId: string;
  /** Who asked (ticket requester, HR system, admin principal). */
  readonly actor: string;
  /** Prefix of the Key Vault certificate name (CLIENT_CERT_NAME_PREFIX), passed in so the orchestrator reads no config. */
  readonly certificateNamePrefix: string;
  /**
   * ISO time the request was accepted at the edge: an offboarding at or after it revokes the certificate it makes,
   * however long the request waited in the queue.
   */
  readonly requestedAt: string;
  /** The request says the user is rehired: it may issue after an offboarding that took effect before `effectiveAt`. */
  readonly rehire?: boolean;
  /**
   * ISO time the upstream system gives (HR effective date, ticket creation); `requestedAt` when it gave none. A rehire
   * is recorded at this time.
   */
  readonly effectiveAt?: string;
  /**
   * Self-service with a device key: the device's PKCS#10 request (PEM; public data, fine in history). The certificate
   * is built on its key and signed by the root through Key Vault; Key Vault keeps nothing of the user's.
   */
  readonly csrPem?: string;
  /** A request of its own (the API, self-service): its record, which the instance writes first. */
  readonly record?: RequestRecordInput;
}

export interface IssuanceResult {
  readonly upn: string;
  /** "revoked" when the user was offboarded while the certificate was being made. */
  readonly status: "active" | "revoked";
  readonly certificateName: string;
  readonly thumbprint: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Device-key issuance only: the certificate and its chain (the root), PEM, for the device to import. */
  readonly certificatePem?: string;
  readonly chainPem?: string;
}

export interface RevocationRequest {
  readonly upn: string;
  readonly requestId: string;
  readonly reason: string;
  readonly source: RequestSource;
  readonly sourceId: string;
  readonly actor: string;
  /**
   * ISO time the offboarding took effect: the upstream time (HR effective date, ticket creation), else when the request
   * was accepted. Absent only in requests accepted before the field existed (the activity then uses its own time).
   */
  readonly effectiveAt?: string;
  /** Gateways whose writers must apply the revocation (from configuration, passed by the trigger). */
  readonly gatewayIds: readonly string[];
}
