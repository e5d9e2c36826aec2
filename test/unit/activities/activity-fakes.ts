// Small fakes for activity unit tests: an in-memory ledger with the methods the activities call, and the services
// object they get from services(). Activities are invoked through the FakeInvoker, as the worker invokes them.
import type { Services } from "../../../src/activities/services";
import type { AuditEntry, CertificateRecord, HireRecord, OffboardingRecord } from "../../../src/domain/ledger";
import type { UserStanding } from "../../../src/domain/user-standing";

export class FakeLedger {
  readonly certificates = new Map<string, CertificateRecord>();
  readonly audit: AuditEntry[] = [];
  readonly hires: HireRecord[] = [];
  readonly offboardings: OffboardingRecord[] = [];
  standing: UserStanding = {};
  readonly puts: CertificateRecord[] = [];

  getCertificate(userKey: string, certificateName: string): Promise<CertificateRecord | undefined> {
    return Promise.resolve(this.certificates.get(`${userKey}/${certificateName}`));
  }

  putCertificate(record: CertificateRecord): Promise<CertificateRecord> {
    this.puts.push(record);
    this.certificates.set(`${record.userKey}/${record.certificateName}`, record);
    return Promise.resolve(record);
  }

  listByStatus(status: CertificateRecord["status"]): Promise<CertificateRecord[]> {
    return Promise.resolve([...this.certificates.values()].filter((r) => r.status === status));
  }

  listUserCertificates(userKey: string): Promise<CertificateRecord[]> {
    return Promise.resolve([...this.certificates.values()].filter((r) => r.userKey === userKey));
  }

  recordHire(record: HireRecord): Promise<void> {
    this.hires.push(record);
    return Promise.resolve();
  }

  recordOffboarding(record: OffboardingRecord): Promise<void> {
    this.offboardings.push(record);
    return Promise.resolve();
  }

  getStanding(userKey: string): Promise<UserStanding> {
    if (userKey !== userKey.toLowerCase()) throw new Error(`standing asked by an unnormalised key ${userKey}`);
    return Promise.resolve(this.standing);
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    this.audit.push(entry);
    return Promise.resolve();
  }
}

export interface FakeServices {
  readonly ledger: FakeLedger;
  readonly config: Record<string, unknown>;
  readonly keyVault: { readonly certificates: { updateCertificateProperties: jest.Mock } };
  readonly gateways: Record<string, never>;
}

export function fakeServices(): FakeServices {
  return {
    ledger: new FakeLedger(),
    config: { CA_ROOT_NAME: "p2s-root", GATEWAY_RESOURCE_IDS: ["/gw/a"] },
    keyVault: { certificates: { updateCertificateProperties: jest.fn(() => Promise.resolve({})) } },
    gateways: {},
  };
}

/** The fake, typed as what activities expect (they only touch what the fake has). */
export function asServices(fake: FakeServices): Services {
  return fake as unknown as Services;
}
