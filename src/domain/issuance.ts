// The inputs and outputs of client certificate issuance (public data only: history is plain text).
import type { RequestSource } from "./ledger";

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
}

export interface RevocationRequest {
  readonly upn: string;
  readonly requestId: string;
  readonly reason: string;
  readonly source: RequestSource;
  readonly sourceId: string;
  readonly actor: string;
  /** Gateways whose writers must apply the revocation (from configuration, passed by the trigger). */
  readonly gatewayIds: readonly string[];
}
