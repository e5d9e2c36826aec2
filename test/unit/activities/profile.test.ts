// The profile regenerator's activities through the fake invoker, with the gateway, the blob store, the download and the
// package check stubbed: the check of the gateway's configuration, a package reused within ten minutes (never on a
// refresh, never the published one), a busy gateway answered for a later try, refusals, an unchanged version
// uploading nothing, pruning, the outcome's audit, and a regeneration requested only when profiles are on.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
const mockClient = { fake: "durable client" };
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));
jest.mock("durable-functions", () =>
  jest
    .requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
    .durableFunctionsStandin(() => mockClient),
);
const mockStore = {
  readManifest: jest.fn(),
  recentPackage: jest.fn(),
  uploadPackage: jest.fn(),
  writeManifest: jest.fn(),
  listVersions: jest.fn(),
  deleteVersion: jest.fn(),
};
const mockStores: { service: unknown; container: string }[] = [];
jest.mock("../../../src/clients/profile-store", () => ({
  ProfileStore: class {
    readonly readManifest = mockStore.readManifest;
    readonly recentPackage = mockStore.recentPackage;
    readonly uploadPackage = mockStore.uploadPackage;
    readonly writeManifest = mockStore.writeManifest;
    readonly listVersions = mockStore.listVersions;
    readonly deleteVersion = mockStore.deleteVersion;
    constructor(service: unknown, container: string) {
      mockStores.push({ service, container });
    }
  },
}));
const mockLinkUri = jest.fn();
jest.mock("../../../src/clients/blob-links", () => ({
  linkBlobServiceUri: (...a: unknown[]): unknown => mockLinkUri(...a),
  linkBlobService: () => ({ service: "link" }),
}));
jest.mock("../../../src/clients/storage", () => ({ blobServiceClient: () => ({ service: "app" }) }));
const mockDownload = jest.fn();
jest.mock("../../../src/clients/profile-download", () => ({
  downloadProfilePackage: (...a: unknown[]): unknown => mockDownload(...a),
}));
const mockInspect = jest.fn();
jest.mock("../../../src/domain/profile-package", () => ({
  inspectProfilePackage: (...a: unknown[]): unknown => mockInspect(...a),
}));
const mockRequest = jest.fn();
jest.mock("../../../src/clients/profile-regenerator-starter", () => ({
  ...jest.requireActual<typeof import("../../../src/clients/profile-regenerator-starter")>(
    "../../../src/clients/profile-regenerator-starter",
  ),
  requestProfileRegeneration: (...a: unknown[]): unknown => mockRequest(...a),
}));

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VirtualNetworkGateway } from "@azure/arm-network";
import { profileBlobs } from "../../../src/activities/profile";
import { GatewayError } from "../../../src/clients/gateway";
import type { GatewayRef } from "../../../src/clients/gateway";
import { configFingerprint, profileConfigOf, versionFingerprint } from "../../../src/domain/profile-fingerprint";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { FakeLedger } from "./activity-fakes";
import { snapshot } from "./gateway-fakes";

const invoker = new FakeInvoker();
invoker.clientData = () => ({ taskHubName: "TestHub" });
const GW = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/vgw-1";
const FP = "f".repeat(64);
const ROOT = { commonName: "DigiCert Global Root G2", certificateSha256: "ab".repeat(32) };
const NOW = Date.parse("2030-01-01T10:00:00.000Z");
let ledger: FakeLedger;
let config: Record<string, unknown>;
const gatewayCalls: string[] = [];
let generate: () => Promise<string>;
let gateway: VirtualNetworkGateway;

beforeEach(() => {
  ledger = new FakeLedger();
  config = {
    PROFILE_CONTAINER: "profiles",
    PROFILES_ENABLED: true,
    PROFILE_DEBOUNCE_MS: 30_000,
    PROFILE_VERSIONS_KEPT: 3,
    PROFILE_DOWNLOAD_HOSTS: ["*.blob.core.windows.net"],
    PROFILE_DOWNLOAD_MAX_BYTES: 1_000_000,
    PROFILE_DOWNLOAD_TIMEOUT_MS: 5_000,
  };
  gateway = {
    location: "westeurope",
    vpnClientConfiguration: { vpnClientProtocols: ["IkeV2", "OpenVPN"], vpnAuthenticationTypes: ["Certificate"] },
  };
  generate = () => Promise.resolve("https://x.blob.core.windows.net/p/vpn.zip?sig=s");
  gatewayCalls.length = 0;
  mockServices = {
    get config() {
      return config;
    },
    ledger,
    gateways: {
      read: (ref: GatewayRef) => {
        gatewayCalls.push(`read:${ref.name}`);
        return Promise.resolve(snapshot({ roots: [], revoked: [] }, "Succeeded", 'W/"1"', gateway));
      },
      generateVpnProfile: (ref: GatewayRef) => {
        gatewayCalls.push(`generate:${ref.name}`);
        return generate();
      },
    },
  };
  for (const mock of [...Object.values(mockStore), mockLinkUri, mockDownload, mockInspect, mockRequest]) {
    mock.mockReset();
  }
  jest.spyOn(Date, "now").mockReturnValue(NOW);
});

afterEach(() => {
  jest.restoreAllMocks();
});

async function invoke(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

describe("profileBlobs", () => {
  it("stores packages on the link account when one is configured, else on the app's storage, once per configuration", () => {
    mockStores.length = 0;
    mockLinkUri.mockReturnValue("https://links.blob.core.windows.net");
    const first = profileBlobs();
    expect(first.service).toEqual({ service: "link" });
    expect(profileBlobs()).toBe(first);
    expect(mockStores).toEqual([{ service: { service: "link" }, container: "profiles" }]);
    config = { ...config, PROFILE_CONTAINER: "other" };
    mockLinkUri.mockReturnValue(undefined);
    expect(profileBlobs().service).toEqual({ service: "app" });
    expect(mockStores.at(-1)).toEqual({ service: { service: "app" }, container: "other" });
    expect(mockLinkUri).toHaveBeenLastCalledWith(config);
  });
});

describe("checkProfileConfig", () => {
  it("reads the gateway and the published manifest and fingerprints the configuration", async () => {
    const published = { manifest: { version: "v1" }, etag: '"m1"' };
    mockStore.readManifest.mockResolvedValue(published);
    const expected = profileConfigOf(gateway);
    expect(await invoke("checkProfileConfig", { gatewayId: GW })).toEqual({
      gatewayName: "vgw-1",
      configFingerprint: configFingerprint(expected),
      config: JSON.parse(JSON.stringify(expected)) as unknown,
      openVpn: true,
      published,
    });
    expect(gatewayCalls).toEqual(["read:vgw-1"]);
    expect(mockStore.readManifest).toHaveBeenCalledWith("vgw-1");
  });

  it("says no OpenVPN for an IKEv2-only gateway, and leaves out a manifest never published", async () => {
    gateway = { location: "westeurope", vpnClientConfiguration: { vpnClientProtocols: ["IkeV2"] } };
    mockStore.readManifest.mockResolvedValue(undefined);
    const check = (await invoke("checkProfileConfig", { gatewayId: GW })) as Record<string, unknown>;
    expect(check.openVpn).toBe(false);
    expect("published" in check).toBe(false);
  });
});

describe("buildProfilePackage", () => {
  const input = { gatewayId: GW, configFingerprint: FP, openVpn: true, publishedVersion: "v-old" };
  const zip = Buffer.from("zip bytes");
  const version = versionFingerprint(FP, ROOT.certificateSha256, ROOT.commonName);

  function downloads(): void {
    mockStore.recentPackage.mockResolvedValue(undefined);
    mockDownload.mockResolvedValue(zip);
    mockInspect.mockReturnValue({ ok: true, contents: { serverRoot: ROOT, folders: ["Generic", "OpenVPN"] } });
    mockStore.uploadPackage.mockResolvedValue({ path: `vgw-1/${version}.zip`, sha256: "cd".repeat(32), size: 9 });
  }

  it("generates, downloads under the configured limits, checks and uploads the package under its version", async () => {
    downloads();
    expect(await invoke("buildProfilePackage", input)).toEqual({
      kind: "uploaded",
      version,
      path: `vgw-1/${version}.zip`,
      sha256: "cd".repeat(32),
      size: 9,
      serverRoot: ROOT,
      folders: ["Generic", "OpenVPN"],
    });
    expect(invoker.logs.at(-1)).toEqual({
      level: "information",
      message: `profile: vgw-1 package ${version} uploaded (9 bytes, sha256 ${"cd".repeat(32)})`,
    });
    expect(mockStore.recentPackage).toHaveBeenCalledWith("vgw-1", FP, new Date(NOW - 600_000));
    expect(gatewayCalls).toEqual(["generate:vgw-1"]);
    expect(mockDownload).toHaveBeenCalledWith("https://x.blob.core.windows.net/p/vpn.zip?sig=s", {
      allowedHosts: ["*.blob.core.windows.net"],
      maxBytes: 1_000_000,
      timeoutMs: 5_000,
    });
    expect(mockInspect).toHaveBeenCalledWith(zip, { openVpn: true });
    expect(mockStore.uploadPackage).toHaveBeenCalledWith("vgw-1", version, zip, {
      configFingerprint: FP,
      serverRoot: ROOT,
      folders: ["Generic", "OpenVPN"],
    });
  });

  it("downloads trusting the configured extra CA", async () => {
    downloads();
    const dir = mkdtempSync(join(tmpdir(), "p2s-profile-ca-"));
    try {
      writeFileSync(join(dir, "ca.pem"), "CA PEM");
      config = { ...config, P2S_TRUSTED_CA_FILE: join(dir, "ca.pem") };
      await invoke("buildProfilePackage", input);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((mockDownload.mock.calls[0] as unknown[])[1]).toMatchObject({ ca: "CA PEM" });
  });

  it("reuses a package uploaded within ten minutes instead of generating again, unless it is the published one", async () => {
    const recent = {
      version: "v-new",
      path: "vgw-1/v-new.zip",
      sha256: "ee".repeat(32),
      size: 7,
      serverRoot: ROOT,
      folders: ["Generic"],
      configFingerprint: FP,
      lastModified: new Date(NOW - 60_000),
    };
    mockStore.recentPackage.mockResolvedValue(recent);
    expect(await invoke("buildProfilePackage", input)).toEqual({
      kind: "uploaded",
      version: "v-new",
      path: "vgw-1/v-new.zip",
      sha256: "ee".repeat(32),
      size: 7,
      serverRoot: ROOT,
      folders: ["Generic"],
    });
    expect(gatewayCalls).toEqual([]);

    mockStore.recentPackage.mockResolvedValue({ ...recent, version: "v-old" });
    mockDownload.mockResolvedValue(zip);
    mockInspect.mockReturnValue({ ok: true, contents: { serverRoot: ROOT, folders: ["Generic"] } });
    mockStore.uploadPackage.mockResolvedValue({ path: "p", sha256: "s", size: 1 });
    expect(await invoke("buildProfilePackage", input)).toMatchObject({ kind: "uploaded", version });
    expect(gatewayCalls).toEqual(["generate:vgw-1"]);
  });

  it("always generates afresh on a refresh", async () => {
    downloads();
    await invoke("buildProfilePackage", { ...input, refresh: true });
    expect(mockStore.recentPackage).not.toHaveBeenCalled();
    expect(gatewayCalls).toEqual(["generate:vgw-1"]);
  });

  it("answers busy, with the gateway's Retry-After, for another operation or throttling, and throws the rest", async () => {
    mockStore.recentPackage.mockResolvedValue(undefined);
    const cases: [GatewayError, unknown][] = [
      [
        new GatewayError("busy", 409, "Busy", "busy now", 20_000),
        { kind: "busy", detail: "busy now", retryAfterMs: 20_000 },
      ],
      [new GatewayError("throttled", 429, undefined, "slow down", undefined), { kind: "busy", detail: "slow down" }],
      [
        new GatewayError("busy", 409, "AnotherOperationInProgress", "another op", undefined),
        { kind: "busy", detail: "another op" },
      ],
    ];
    for (const [error, answer] of cases) {
      generate = () => Promise.reject(error);
      expect(await invoke("buildProfilePackage", input)).toEqual(answer);
    }
    for (const error of [
      new GatewayError("operationFailed", 200, "InternalServerError", "failed", undefined),
      new GatewayError("notFound", 404, "NotFound", "no gateway", undefined),
      new Error("socket hang up"),
    ]) {
      generate = () => Promise.reject(error);
      await expect(invoke("buildProfilePackage", input)).rejects.toThrow(error.message);
    }
    expect(mockDownload).not.toHaveBeenCalled();
  });

  it("refuses a download the download rules refuse and a package the check refuses; other failures throw", async () => {
    downloads();
    const refused = new Error("host evil.example is not allowed");
    refused.name = "DownloadRefused";
    mockDownload.mockRejectedValueOnce(refused);
    expect(await invoke("buildProfilePackage", input)).toEqual({
      kind: "refused",
      reason: "host evil.example is not allowed",
    });
    mockDownload.mockRejectedValueOnce(new Error("connection reset"));
    await expect(invoke("buildProfilePackage", input)).rejects.toThrow("connection reset");
    mockInspect.mockReturnValue({ ok: false, reason: "no OpenVPN folder" });
    expect(await invoke("buildProfilePackage", input)).toEqual({ kind: "refused", reason: "no OpenVPN folder" });
    expect(mockStore.uploadPackage).not.toHaveBeenCalled();
  });

  it("uploads nothing when the package's version is the published one", async () => {
    downloads();
    expect(await invoke("buildProfilePackage", { ...input, publishedVersion: version, refresh: true })).toEqual({
      kind: "unchanged",
      version,
      serverRoot: ROOT,
    });
    expect(mockStore.uploadPackage).not.toHaveBeenCalled();
  });
});

describe("writeProfileManifest and pruneProfileVersions", () => {
  it("writes the manifest under the ETag read", async () => {
    mockStore.writeManifest.mockResolvedValue("conflict");
    expect(await invoke("writeProfileManifest", { manifest: { version: "v2" }, etag: '"m1"' })).toBe("conflict");
    expect(mockStore.writeManifest).toHaveBeenCalledWith({ version: "v2" }, '"m1"');
  });

  it("deletes the versions beyond the kept ones, never the current one, and answers them", async () => {
    const at = (minutes: number): Date => new Date(NOW - minutes * 60_000);
    mockStore.listVersions.mockResolvedValue([
      { version: "v5", lastModified: at(1) },
      { version: "v4", lastModified: at(2) },
      { version: "v3", lastModified: at(3) },
      { version: "v2", lastModified: at(4) },
    ]);
    mockStore.deleteVersion.mockResolvedValue(undefined);
    expect(await invoke("pruneProfileVersions", { gatewayName: "vgw-1", current: "v5", keep: 2 })).toEqual([
      "v3",
      "v2",
    ]);
    expect(mockStore.listVersions).toHaveBeenCalledWith("vgw-1");
    expect(mockStore.deleteVersion.mock.calls).toEqual([
      ["vgw-1", "v3"],
      ["vgw-1", "v2"],
    ]);
  });
});

describe("recordProfileOutcome", () => {
  it("audits the outcome under its id, the gateway's name lower-cased as the subject", async () => {
    const record = {
      id: "profile:vgw-1:v2",
      gatewayName: "VGW-1",
      action: "profile.published",
      reason: "configuration changed",
      details: { version: "v2" },
    };
    expect(await invoke("recordProfileOutcome", record)).toBe("recorded");
    expect(ledger.audit).toEqual([
      {
        id: "profile:vgw-1:v2",
        at: expect.any(Date) as unknown,
        actor: "system:profileRegenerator",
        action: "profile.published",
        subject: "vgw-1",
        reason: "configuration changed",
        source: "profiles",
        details: { version: "v2" },
      },
    ]);
  });
});

describe("requestProfileRegeneration", () => {
  it("asks the regenerator with the configured debounce and kept versions", async () => {
    mockRequest.mockResolvedValue("started");
    expect(await invoke("requestProfileRegeneration", { gatewayId: GW, reason: "root added" })).toBe("started");
    expect(mockRequest).toHaveBeenCalledWith(mockClient, {
      gatewayId: GW,
      debounceMs: 30_000,
      keep: 3,
      refresh: false,
      reason: "root added",
    });
  });

  it("answers disabled, asking nothing, when profiles are off", async () => {
    config = { ...config, PROFILES_ENABLED: false };
    expect(await invoke("requestProfileRegeneration", { gatewayId: GW, reason: "root added" })).toBe("disabled");
    expect(mockRequest).not.toHaveBeenCalled();
  });
});
