// The delivery activities through the fake invoker, with Key Vault, blobs and the deliveries table stubbed: the link's
// expiry, the package built only for the active certificate the ledger lists (under a passphrase stored first and
// reused on a repeat, the PKCS#12 bytes wiped after the upload), the record opened, and the close (package and secret
// removed, the record closed by a conditional write retried a bounded number of times, audited once).
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
const mockTable = { get: jest.fn(), transition: jest.fn(), open: jest.fn() };
const mockTableNames: string[] = [];
jest.mock("../../../src/clients/storage", () => ({
  tableClient: (_config: unknown, name: string) => {
    mockTableNames.push(name);
    return { table: name };
  },
}));
jest.mock("../../../src/clients/delivery-records", () => ({
  DeliveryTable: class {
    constructor(readonly table: unknown) {}
    get = mockTable.get;
    transition = mockTable.transition;
    open = mockTable.open;
  },
}));
const mockLinkStorage = { link: "storage" };
jest.mock("../../../src/clients/blob-links", () => ({ linkBlobService: () => mockLinkStorage }));
const mockBlobs = { upload: jest.fn(), remove: jest.fn() };
jest.mock("../../../src/clients/delivery-blobs", () => ({
  uploadPackage: (...args: unknown[]): unknown => mockBlobs.upload(...args),
  deletePackage: (...args: unknown[]): unknown => mockBlobs.remove(...args),
}));
const mockVault = { read: jest.fn(), store: jest.fn(), remove: jest.fn() };
jest.mock("../../../src/clients/delivery-vault", () => ({
  readPassphrase: (...args: unknown[]): unknown => mockVault.read(...args),
  storePassphrase: (...args: unknown[]): unknown => mockVault.store(...args),
  removePassphrase: (...args: unknown[]): unknown => mockVault.remove(...args),
}));
const mockExport = jest.fn();
jest.mock("../../../src/clients/user-pkcs12", () => ({
  exportUserPkcs12: (...args: unknown[]): unknown => mockExport(...args),
}));

import "../../../src/activities/delivery";
import { deliveryServices } from "../../../src/activities/delivery-services";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";

const invoker = new FakeInvoker();
const REQ = "0123456789abcdef0123456789abcdef";
const TP = "AB".repeat(20);
const EXPIRES = "2030-01-02T10:00:00.000Z";
const NOT_AFTER = new Date("2031-01-01T00:00:00.000Z");
const config = {
  DELIVERY_LINK_HOURS: 24,
  DELIVERY_CONTAINER: "deliveries",
  PFX_ENCRYPTION: "aes",
  LEDGER_TABLE_PREFIX: "p2s",
};
const secrets = { secrets: true };
const keyVault = { secrets };
const roots = { roots: true };
let ledger: FakeLedger;

beforeEach(() => {
  ledger = new FakeLedger();
  mockServices = { config, ledger, keyVault, roots };
  for (const mock of [mockTable.get, mockTable.transition, mockTable.open, mockBlobs.upload, mockBlobs.remove]) {
    mock.mockReset();
  }
  for (const mock of [mockVault.read, mockVault.store, mockVault.remove, mockExport]) mock.mockReset();
  mockVault.remove.mockResolvedValue("purged");
});

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

describe("deliveryServices", () => {
  it("adds the deliveries table (<prefix>Deliveries) and the link storage, built once per services()", () => {
    mockTableNames.length = 0;
    const first = deliveryServices();
    expect(deliveryServices()).toBe(first);
    expect(mockTableNames).toEqual(["p2sDeliveries"]);
    expect(first.linkStorage).toBe(mockLinkStorage);
    expect(first.ledger).toBe(ledger);
    expect((first.deliveries as unknown as { table: unknown }).table).toEqual({ table: "p2sDeliveries" });
    // New services (a new configuration): built again.
    mockServices = { config, ledger: new FakeLedger(), keyVault, roots };
    expect(deliveryServices()).not.toBe(first);
    expect(mockTableNames).toHaveLength(2);
  });
});

describe("planDelivery", () => {
  it("ends the link DELIVERY_LINK_HOURS after the orchestration's start", async () => {
    expect(await invoke("planDelivery", { startedAt: "2030-01-01T10:00:00.000Z" })).toEqual({
      linkExpiresAt: EXPIRES,
    });
  });
});

describe("prepareDeliveryPackage", () => {
  const input = {
    requestId: REQ,
    upn: "Ada@Contoso.com",
    certificateName: "p2s-ada-1",
    thumbprint: TP,
    linkExpiresAt: EXPIRES,
  };
  const active: CertificateRecord = {
    userKey: "ada@contoso.com",
    upn: "Ada@Contoso.com",
    certificateName: "p2s-ada-1",
    status: "active",
    requestId: REQ,
    source: "api",
    sourceId: "s",
    thumbprint: TP,
    notAfter: NOT_AFTER,
    updatedAt: new Date(),
  };

  it("stores a fresh passphrase first, builds the PKCS#12 under it, uploads it, wipes it and audits", async () => {
    await ledger.putCertificate(active);
    mockVault.read.mockResolvedValue(undefined);
    const pfx = new Uint8Array([1, 2, 3, 4]);
    const order: string[] = [];
    mockVault.store.mockImplementation(() => {
      order.push("store");
      return Promise.resolve();
    });
    mockExport.mockImplementation(() => {
      order.push("export");
      return Promise.resolve(pfx);
    });
    let uploaded: number[] = [];
    mockBlobs.upload.mockImplementation((_s: unknown, _c: unknown, _n: unknown, bytes: Uint8Array) => {
      uploaded = [...bytes];
      return Promise.resolve();
    });

    expect(await invoke("prepareDeliveryPackage", input)).toEqual({ notAfter: NOT_AFTER.toISOString() });
    expect(order).toEqual(["store", "export"]);
    expect(mockVault.read).toHaveBeenCalledWith(secrets, `p2s-delivery-${REQ}`);
    const [, secretName, passphrase, expires, tag] = mockVault.store.mock.calls[0] as [
      unknown,
      string,
      string,
      Date,
      string,
    ];
    expect(secretName).toBe(`p2s-delivery-${REQ}`);
    expect(passphrase.length).toBeGreaterThanOrEqual(16);
    expect(expires).toEqual(new Date(EXPIRES));
    expect(tag).toBe(REQ);
    expect(mockExport).toHaveBeenCalledWith(keyVault, roots, "p2s-ada-1", passphrase, "aes", {
      thumbprint: TP,
      upnKey: "ada@contoso.com",
    });
    expect(mockBlobs.upload).toHaveBeenCalledWith(mockLinkStorage, "deliveries", `${REQ}.p12`, pfx);
    expect(uploaded).toEqual([1, 2, 3, 4]);
    expect([...pfx]).toEqual([0, 0, 0, 0]);
    expect(ledger.audit).toEqual([
      {
        id: `${REQ}:delivery:prepared`,
        at: expect.any(Date) as unknown,
        actor: "system:delivery",
        action: "delivery.prepared",
        subject: "ada@contoso.com",
        reason: "certificate package ready for its user",
        source: "delivery",
        requestId: REQ,
        details: { thumbprint: TP, linkExpiresAt: EXPIRES, encryption: "aes" },
      },
    ]);
    expect(JSON.stringify(ledger.audit)).not.toContain(passphrase);
  });

  it("reuses the stored passphrase on a repeat, and wipes the bytes even when the upload fails", async () => {
    await ledger.putCertificate(active);
    mockVault.read.mockResolvedValue("the-stored-passphrase");
    const pfx = new Uint8Array([9, 9]);
    mockExport.mockResolvedValue(pfx);
    mockBlobs.upload.mockRejectedValue(new Error("storage down"));
    await expect(invoke("prepareDeliveryPackage", input)).rejects.toThrow("storage down");
    expect(mockVault.store).not.toHaveBeenCalled();
    expect((mockExport.mock.calls[0] as unknown[])[3]).toBe("the-stored-passphrase");
    expect([...pfx]).toEqual([0, 0]);
    expect(ledger.audit).toEqual([]);
  });

  it("refuses a certificate the ledger does not list under that thumbprint, one not active, one without an end", async () => {
    await expect(invoke("prepareDeliveryPackage", input)).rejects.toThrow(
      `certificate p2s-ada-1 of ada@contoso.com is not listed as ${TP}`,
    );
    await ledger.putCertificate({ ...active, thumbprint: "CD".repeat(20) });
    await expect(invoke("prepareDeliveryPackage", input)).rejects.toThrow("is not listed as");
    await ledger.putCertificate({ ...active, status: "revoked" });
    await expect(invoke("prepareDeliveryPackage", input)).rejects.toThrow("certificate p2s-ada-1 is revoked");
    const { notAfter: _n, ...endless } = active;
    await ledger.putCertificate(endless);
    await expect(invoke("prepareDeliveryPackage", input)).rejects.toThrow("certificate p2s-ada-1 has no notAfter");
    expect(mockVault.read).not.toHaveBeenCalled();
    expect(mockExport).not.toHaveBeenCalled();
  });
});

describe("openDelivery", () => {
  it("records the ready delivery under the lower-cased UPN, with dates", async () => {
    mockTable.open.mockResolvedValue(undefined);
    const input = {
      requestId: REQ,
      upn: "Ada@Contoso.com",
      certificateName: "p2s-ada-1",
      thumbprint: TP,
      notAfter: NOT_AFTER.toISOString(),
      linkExpiresAt: EXPIRES,
      instanceId: "deliver-1",
    };
    expect(await invoke("openDelivery", input)).toEqual({ opened: true });
    expect(mockTable.open).toHaveBeenCalledWith({
      requestId: REQ,
      instanceId: "deliver-1",
      upn: "ada@contoso.com",
      certificateName: "p2s-ada-1",
      thumbprint: TP,
      notAfter: NOT_AFTER,
      linkExpiresAt: new Date(EXPIRES),
    });
  });
});

describe("closeDelivery", () => {
  const record = {
    requestId: REQ,
    instanceId: "deliver-1",
    upn: "ada@contoso.com",
    certificateName: "p2s-ada-1",
    thumbprint: TP,
    notAfter: NOT_AFTER,
    linkExpiresAt: new Date(EXPIRES),
    state: "downloaded",
    collectedAt: new Date("2030-01-01T11:00:00.000Z"),
    downloadedAt: new Date("2030-01-01T11:01:00.000Z"),
    etag: "e1",
  };
  const close = (): Promise<unknown> => invoke("closeDelivery", { requestId: REQ });

  it("removes the package and the secret, closes the record and audits what the user did", async () => {
    mockTable.get.mockResolvedValue(record);
    mockTable.transition.mockResolvedValue(true);
    expect(await close()).toEqual({ collected: true, downloaded: true });
    expect(mockBlobs.remove).toHaveBeenCalledWith(mockLinkStorage, "deliveries", `${REQ}.p12`);
    expect(mockVault.remove).toHaveBeenCalledWith(secrets, `p2s-delivery-${REQ}`);
    expect(mockTable.transition).toHaveBeenCalledWith(record, {
      state: "closed",
      closedAt: expect.any(Date) as unknown,
    });
    expect(ledger.audit).toEqual([
      {
        id: `${REQ}:delivery:closed`,
        at: expect.any(Date) as unknown,
        actor: "system:delivery",
        action: "delivery.closed",
        subject: "ada@contoso.com",
        reason: "delivery finished; package and passphrase removed",
        source: "delivery",
        requestId: REQ,
        details: { thumbprint: TP, collected: true, downloaded: true, passphraseSecret: "purged" },
      },
    ]);
  });

  it("says the delivery expired uncollected when the user never came", async () => {
    const { collectedAt: _c, downloadedAt: _d, ...untouched } = record;
    mockTable.get.mockResolvedValue({ ...untouched, state: "ready" });
    mockTable.transition.mockResolvedValue(true);
    mockVault.remove.mockResolvedValue("absent");
    expect(await close()).toEqual({ collected: false, downloaded: false });
    expect(ledger.audit[0]).toMatchObject({
      reason: "delivery expired uncollected",
      details: { collected: false, downloaded: false, passphraseSecret: "absent" },
    });
  });

  it("answers a closed or missing record as it is, without writing or auditing", async () => {
    mockTable.get.mockResolvedValue({ ...record, state: "closed", downloadedAt: undefined });
    expect(await close()).toEqual({ collected: true, downloaded: false });
    mockTable.get.mockResolvedValue(undefined);
    expect(await close()).toEqual({ collected: false, downloaded: false });
    expect(mockTable.transition).not.toHaveBeenCalled();
    expect(ledger.audit).toEqual([]);
  });

  it("reads again when the record changed meanwhile, and gives up after six lost writes", async () => {
    mockTable.get.mockResolvedValueOnce({ ...record, state: "ready", downloadedAt: undefined });
    mockTable.get.mockResolvedValue(record);
    mockTable.transition.mockResolvedValueOnce(false).mockResolvedValue(true);
    expect(await close()).toEqual({ collected: true, downloaded: true });
    expect(mockTable.transition).toHaveBeenCalledTimes(2);
    expect(ledger.audit).toHaveLength(1);

    mockTable.transition.mockReset();
    mockTable.transition.mockResolvedValue(false);
    await expect(close()).rejects.toThrow(`delivery ${REQ} kept changing while being closed`);
    expect(mockTable.transition).toHaveBeenCalledTimes(6);
  });
});
