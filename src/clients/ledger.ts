// The ledger in Azure Table Storage: the certificate inventory (system of record for gateway sync, expiry checks and
// the API), the append-only audit, the gateways' sync state, the users' offboardings and the accepted requests. One
// facade over the five tables (ledger-*.ts); writes are idempotent so activity retries are safe.
import type { TableClient } from "@azure/data-tables";
import type { Config } from "../config";
import type {
  AuditEntry,
  CertificateRecord,
  CertificateStatus,
  GatewaySyncRecord,
  HireRecord,
  OffboardingRecord,
} from "../domain/ledger";
import type { JournaledWrite, WriteTicket } from "../domain/gateway-write-journal";
import type { RequestRecord } from "../domain/requests";
import type { UserStanding } from "../domain/user-standing";
import { tableClient } from "./storage";
import { AuditTable } from "./ledger-audit";
import { CertificateTable } from "./ledger-certificates";
import { GatewayWriteTable } from "./ledger-gateway-writes";
import { GatewayTable } from "./ledger-gateways";
import { RequestTable } from "./ledger-requests";
import { ensureTable } from "./ledger-table";
import { UserTable } from "./ledger-users";
import { RevocationIndex } from "./revocation-index";

export { LedgerConflictError } from "./ledger-certificates";

type LedgerConfig = Parameters<typeof tableClient>[0] & Pick<Config, "LEDGER_TABLE_PREFIX">;

export class Ledger {
  private readonly ensured = new Set<TableClient>();
  private readonly tables: readonly TableClient[];
  private readonly certificateTable: CertificateTable;
  private readonly auditTable: AuditTable;
  private readonly gatewayTable: GatewayTable;
  private readonly gatewayWrites: GatewayWriteTable;
  private readonly userTable: UserTable;
  private readonly requestTable: RequestTable;
  /** Revoked certificates by issuing root and expiry (revocation-index.ts): what a writer pass reads. */
  readonly revocations: RevocationIndex;

  constructor(
    certificates: TableClient,
    audit: TableClient,
    gateways: TableClient,
    users: TableClient,
    requests: TableClient,
    revocations: TableClient,
  ) {
    this.tables = [certificates, audit, gateways, users, requests, revocations];
    const ready = (): Promise<void> => this.ensureTables();
    this.revocations = new RevocationIndex(revocations, ready);
    this.certificateTable = new CertificateTable(certificates, ready, (record, previous) =>
      this.revocations.record(record, previous),
    );
    this.auditTable = new AuditTable(audit, ready);
    this.gatewayTable = new GatewayTable(gateways, ready);
    this.gatewayWrites = new GatewayWriteTable(gateways, ready);
    this.userTable = new UserTable(users, ready);
    this.requestTable = new RequestTable(requests, ready);
  }

  static fromConfig(config: LedgerConfig): Ledger {
    const prefix = config.LEDGER_TABLE_PREFIX;
    return new Ledger(
      tableClient(config, `${prefix}Certificates`),
      tableClient(config, `${prefix}Audit`),
      tableClient(config, `${prefix}Gateways`),
      tableClient(config, `${prefix}Users`),
      tableClient(config, `${prefix}Requests`),
      tableClient(config, `${prefix}Revocations`),
    );
  }

  /** Creates the tables when absent (safe to call repeatedly; cached per process). */
  async ensureTables(): Promise<void> {
    await Promise.all(this.tables.map((table) => ensureTable(table, this.ensured)));
  }

  recordGatewaySync(record: GatewaySyncRecord): Promise<void> {
    return this.gatewayTable.recordSync(record);
  }

  getGatewaySync(gatewayId: string): Promise<GatewaySyncRecord | undefined> {
    return this.gatewayTable.getSync(gatewayId);
  }

  /** See GatewayTable.markSessionsToEnd: written before the PUT, cleared once the sessions are ended. */
  markSessionsToEnd(gatewayId: string, users: readonly string[], at: Date): Promise<void> {
    return this.gatewayTable.markSessionsToEnd(gatewayId, users, at);
  }

  listSessionsToEnd(gatewayId: string): Promise<string[]> {
    return this.gatewayTable.listSessionsToEnd(gatewayId);
  }

  clearSessionsToEnd(gatewayId: string, users: readonly string[]): Promise<void> {
    return this.gatewayTable.clearSessionsToEnd(gatewayId, users);
  }

  /** See GatewayWriteTable.claimWrite: false when a newer pass already wrote (this one must not). */
  claimGatewayWrite(gatewayId: string, ticket: WriteTicket, passId: string): Promise<boolean> {
    return this.gatewayWrites.claimWrite(gatewayId, ticket, passId);
  }

  /** Records a write the gateway accepted, until a recorded pass has raised the warnings it calls for. */
  journalGatewayWrite(gatewayId: string, write: JournaledWrite): Promise<void> {
    return this.gatewayWrites.journalWrite(gatewayId, write);
  }

  listGatewayWrites(gatewayId: string): Promise<JournaledWrite[]> {
    return this.gatewayWrites.listWrites(gatewayId);
  }

  clearGatewayWrites(gatewayId: string, keys: readonly string[]): Promise<void> {
    return this.gatewayWrites.clearWrites(gatewayId, keys);
  }

  recordOffboarding(record: OffboardingRecord): Promise<void> {
    return this.userTable.recordOffboarding(record);
  }

  getOffboarding(userKey: string): Promise<OffboardingRecord | undefined> {
    return this.userTable.getOffboarding(userKey);
  }

  recordHire(record: HireRecord): Promise<void> {
    return this.userTable.recordHire(record);
  }

  /** The user's latest offboarding and rehire: whether they may get a new certificate. */
  getStanding(userKey: string): Promise<UserStanding> {
    return this.userTable.getStanding(userKey);
  }

  /** ETag-guarded insert or merge; refuses a transition the state machine does not allow (LedgerConflictError). */
  putCertificate(record: CertificateRecord): Promise<CertificateRecord> {
    return this.certificateTable.put(record);
  }

  getCertificate(userKey: string, certificateName: string): Promise<CertificateRecord | undefined> {
    return this.certificateTable.get(userKey, certificateName);
  }

  listUserCertificates(userKey: string): Promise<CertificateRecord[]> {
    return this.certificateTable.listUser(userKey);
  }

  listByStatus(status: CertificateStatus): Promise<CertificateRecord[]> {
    return this.certificateTable.listByStatus(status);
  }

  /** Certificates in `status`, user after user, from the user after `afterUserKey` (paged reads of a large ledger). */
  streamByStatus(status: CertificateStatus, afterUserKey?: string): AsyncIterable<CertificateRecord> {
    return this.certificateTable.streamByStatus(status, afterUserKey);
  }

  findByThumbprint(thumbprint: string): Promise<CertificateRecord[]> {
    return this.certificateTable.findByThumbprint(thumbprint);
  }

  /** Appends an audit entry once: a retry with the same id is a no-op. */
  appendAudit(entry: AuditEntry): Promise<void> {
    return this.auditTable.append(entry);
  }

  listAudit(subject: string): Promise<AuditEntry[]> {
    return this.auditTable.list(subject);
  }

  /** Records an accepted request once; a repeat answers the first record. */
  recordRequest(record: RequestRecord): Promise<RequestRecord> {
    return this.requestTable.record(record);
  }

  getRequest(requestId: string): Promise<RequestRecord | undefined> {
    return this.requestTable.get(requestId);
  }
}
