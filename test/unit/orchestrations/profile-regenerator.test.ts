// profileRegenerator step by step: the debounce, one pass (skip an unchanged configuration, publish a changed one,
// wait out a busy gateway, give up on a refusal or a manifest that keeps changing), the alerts it raises, and the
// quiet window after a pass that an event turns into another pass.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import type { ProfileCheck } from "../../../src/activities/profile";
import type { ProfileRegeneratorInput } from "../../../src/clients/profile-regenerator-starter";
import type { ProfileConfig } from "../../../src/domain/profile-fingerprint";
import type { ProfileManifest } from "../../../src/domain/profile-manifest";
import { profileRegenerator } from "../../../src/orchestrations/profile-regenerator";
import { TimedFlow } from "./timed-flow";

const T0 = Date.UTC(2030, 0, 1, 8, 0, 0);
const GATEWAY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/gw-west";
const INSTANCE = "profile-regenerator-gw-west-0123";
const RETRY = { firstRetryIntervalInMilliseconds: 2000, maxNumberOfAttempts: 4, backoffCoefficient: 2 };
const input: ProfileRegeneratorInput = {
  gatewayId: GATEWAY_ID,
  debounceMs: 30_000,
  keep: 3,
  refresh: false,
  reason: "gateway write",
};
const CONFIG: ProfileConfig = {
  addressPools: ["172.16.0.0/24"],
  protocols: ["IkeV2"],
  authenticationTypes: ["Certificate"],
  roots: ["root-2030:aa"],
  radiusServers: [],
  aad: [],
  ipsecPolicies: [],
  customRoutes: [],
  publicIps: ["pip-1"],
};
const ROOT = { commonName: "DigiCert Global Root G2", certificateSha256: "11".repeat(32) };
const MANIFEST: ProfileManifest = {
  gatewayId: GATEWAY_ID,
  gateway: "gw-west",
  fingerprint: "v-old",
  configFingerprint: "cfg-old",
  generatedAt: "2029-12-01T00:00:00.000Z",
  sha256: "22".repeat(32),
  size: 1000,
  path: "gw-west/v-old/vpnprofile.zip",
  serverRoot: ROOT,
  folders: ["Generic"],
  changes: ["first package"],
  config: CONFIG,
};

function check(configFingerprint: string, config: ProfileConfig = CONFIG, published = true): ProfileCheck {
  return {
    gatewayName: "gw-west",
    configFingerprint,
    config,
    openVpn: false,
    ...(published ? { published: { manifest: MANIFEST, etag: '"etag-1"' } } : {}),
  };
}

const uploaded = (serverRoot = ROOT) => ({
  kind: "uploaded",
  version: "v-new",
  path: "gw-west/v-new/vpnprofile.zip",
  sha256: "33".repeat(32),
  size: 1200,
  serverRoot,
  folders: ["Generic"],
});

function start(over: Partial<ProfileRegeneratorInput> = {}): TimedFlow {
  return new TimedFlow(profileRegenerator, { ...input, ...over }, T0, INSTANCE);
}

/** Past the debounce timer, at the pass's first read. */
function debounced(over: Partial<ProfileRegeneratorInput> = {}): TimedFlow {
  const flow = start(over);
  expect(flow.pending).toMatchObject({ kind: "timer", at: new Date(T0 + 30_000).toISOString() });
  expect(flow.statuses).toEqual([{ state: "debouncing", passes: 0 }]);
  flow.fireTimer();
  expect(flow.statuses.at(-1)).toEqual({ state: "regenerating", passes: 0 });
  expect(flow.call).toEqual({ functionName: "checkProfileConfig", input: { gatewayId: GATEWAY_ID }, retry: RETRY });
  return flow;
}

/** After a pass: the quiet window ends with no event, and the regenerator returns its passes. */
function settles(flow: TimedFlow, passes: number): unknown {
  expect(flow.statuses.at(-1)).toEqual({ state: "settling", passes });
  flow.fireTimer();
  return flow.output;
}

describe("profileRegenerator", () => {
  it("skips an unchanged configuration, audits it under the pass's id, and ends after a quiet window", () => {
    const flow = debounced();
    flow.answer(check("cfg-old"));
    expect(flow.call).toEqual({
      functionName: "recordProfileOutcome",
      input: {
        id: `guid(${INSTANCE}:pass:1):1`,
        gatewayName: "gw-west",
        action: "profile.skipped",
        reason: "the profile-relevant configuration is unchanged",
        details: { fingerprint: "v-old", trigger: "gateway write" },
      },
      retry: RETRY,
    });
    flow.answer("recorded");
    expect(flow.race.timer.at).toBe(new Date(T0 + 60_000).toISOString());
    expect(settles(flow, 1)).toEqual({ passes: [{ outcome: "skipped", fingerprint: "v-old" }] });
  });

  it("publishes a changed configuration: manifest under the ETag, root-change alert once per package, prune, audit", () => {
    const flow = debounced();
    const changed = { ...CONFIG, addressPools: ["172.16.1.0/24"] };
    flow.answer(check("cfg-new", changed));
    expect(flow.call).toEqual({
      functionName: "buildProfilePackage",
      input: {
        gatewayId: GATEWAY_ID,
        configFingerprint: "cfg-new",
        openVpn: false,
        refresh: false,
        publishedVersion: "v-old",
      },
      retry: RETRY,
    });
    const newRoot = { commonName: "DigiCert Global Root G3", certificateSha256: "44".repeat(32) };
    flow.answer(uploaded(newRoot));
    const manifest = {
      gatewayId: GATEWAY_ID,
      gateway: "gw-west",
      fingerprint: "v-new",
      configFingerprint: "cfg-new",
      generatedAt: new Date(T0 + 30_000).toISOString(),
      sha256: "33".repeat(32),
      size: 1200,
      path: "gw-west/v-new/vpnprofile.zip",
      serverRoot: newRoot,
      folders: ["Generic"],
      changes: [
        "addressPools: +172.16.1.0/24 -172.16.0.0/24",
        "serverRoot: DigiCert Global Root G2 -> DigiCert Global Root G3",
      ],
      config: changed,
    };
    expect(flow.call).toEqual({
      functionName: "writeProfileManifest",
      input: { manifest, etag: '"etag-1"' },
      retry: RETRY,
    });
    flow.answer("written");
    expect(flow.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "warning",
        key: `profile-server-root:${GATEWAY_ID}:v-new`,
        title: "Gateway gw-west: the VPN server root changed; users must re-import the profile",
        detail:
          "the gateway's server root is now DigiCert Global Root G3 (was DigiCert Global Root G2); the new profile " +
          "package v-new is published, and every user must download and import it again",
        subject: GATEWAY_ID,
      },
      retry: RETRY,
    });
    flow.answer(undefined);
    expect(flow.call).toEqual({
      functionName: "pruneProfileVersions",
      input: { gatewayName: "gw-west", current: "v-new", keep: 3 },
      retry: RETRY,
    });
    flow.answer([]);
    expect(flow.call.input).toEqual({
      id: `guid(${INSTANCE}:pass:1):1`,
      gatewayName: "gw-west",
      action: "profile.published",
      reason: manifest.changes.join("; "),
      details: { fingerprint: "v-new", sha256: "33".repeat(32), serverRootChanged: true, trigger: "gateway write" },
    });
    flow.answer("recorded");
    expect(settles(flow, 1)).toEqual({
      passes: [{ outcome: "published", fingerprint: "v-new", serverRootChanged: true }],
    });
  });

  it("a first package has no ETag, no published version and no root-change alert; a root differing in hash alone alerts", () => {
    const first = start({ debounceMs: 0 });
    expect(first.statuses).toEqual([{ state: "regenerating", passes: 0 }]);
    first.answer(check("cfg-new", CONFIG, false));
    expect(first.call.input).not.toHaveProperty("publishedVersion");
    first.answer(uploaded());
    expect(first.call.input).not.toHaveProperty("etag");
    expect((first.call.input as { manifest: ProfileManifest }).manifest.changes).toEqual(["first package"]);
    first.answer("written");
    expect(first.call.functionName).toBe("pruneProfileVersions");

    const rehashed = start({ debounceMs: 0 });
    rehashed.answer(check("cfg-new"));
    rehashed.answer(uploaded({ ...ROOT, certificateSha256: "55".repeat(32) }));
    rehashed.answer("written");
    expect(rehashed.call.functionName).toBe("raiseAlert");

    const renamed = start({ debounceMs: 0 });
    renamed.answer(check("cfg-new"));
    renamed.answer(uploaded({ ...ROOT, commonName: "Other Root" }));
    renamed.answer("written");
    expect(renamed.call.functionName).toBe("raiseAlert");

    const same = start({ debounceMs: 0 });
    same.answer(check("cfg-new"));
    same.answer(uploaded());
    same.answer("written");
    expect(same.call.functionName).toBe("pruneProfileVersions");
  });

  it("a refresh regenerates an unchanged configuration, and an unchanged package is audited, not published", () => {
    const flow = start({ debounceMs: 0, refresh: true });
    flow.answer(check("cfg-old"));
    expect(flow.call.functionName).toBe("buildProfilePackage");
    expect((flow.call.input as { refresh: boolean }).refresh).toBe(true);
    flow.answer({ kind: "unchanged", version: "v-old", serverRoot: ROOT });
    expect(flow.call.input).toEqual({
      id: `guid(${INSTANCE}:pass:1):1`,
      gatewayName: "gw-west",
      action: "profile.unchanged",
      reason: "the regenerated package matches the published one",
      details: { fingerprint: "v-old" },
    });
    flow.answer("recorded");
    // The quiet window is at least a second, even without a debounce.
    expect(flow.race.timer.at).toBe(new Date(T0 + 1000).toISOString());
    expect(settles(flow, 1)).toEqual({ passes: [{ outcome: "unchanged", fingerprint: "v-old" }] });
  });

  it("a refused package is audited and alerted, and the previous one stays", () => {
    const flow = start({ debounceMs: 0 });
    flow.answer(check("cfg-new"));
    flow.answer({ kind: "refused", reason: "the package has no CaCert" });
    expect(flow.call.input).toMatchObject({ action: "profile.refused", reason: "the package has no CaCert" });
    flow.answer("recorded");
    expect(flow.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "error",
        key: `profile-refused:${INSTANCE}:${new Date(T0).toISOString()}`,
        title: "Gateway gw-west: the VPN profile package was refused",
        detail: "the package has no CaCert; the previous package stays published",
        subject: GATEWAY_ID,
      },
      retry: RETRY,
    });
    flow.answer(undefined);
    expect(settles(flow, 1)).toEqual({ passes: [{ outcome: "refused", reason: "the package has no CaCert" }] });
  });

  it("waits out a busy gateway, doubling from 15 s up to 5 min or the gateway's Retry-After, and gives up after 12", () => {
    const flow = start({ debounceMs: 0 });
    const waits: number[] = [];
    for (let busy = 1; busy <= 12; busy++) {
      flow.answer(check("cfg-new"));
      flow.answer({ kind: "busy", detail: "UpdateGateway running", ...(busy === 2 ? { retryAfterMs: 90_000 } : {}) });
      expect(flow.statuses.at(-1)).toEqual({ state: "regenerating", passes: 0 });
      const before = flow.clock.now;
      const timer = flow.fireTimer();
      waits.push(Date.parse(timer.at) - before);
      // Each wait reads the configuration again, under a new attempt.
      expect(flow.call.functionName).toBe("checkProfileConfig");
    }
    expect(waits).toEqual([
      15_000, 90_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000, 300_000, 300_000, 300_000, 300_000,
    ]);
    flow.answer(check("cfg-new"));
    expect(() => flow.answer({ kind: "busy", detail: "UpdateGateway running" })).toThrow(
      "gateway gw-west stayed busy: UpdateGateway running",
    );
  });

  it("reads again when the manifest lost to another writer, and fails at the third conflict", () => {
    const flow = start({ debounceMs: 0 });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(flow.call.functionName).toBe("checkProfileConfig");
      flow.answer(check("cfg-new"));
      flow.answer(uploaded());
      if (attempt < 3) flow.answer("conflict");
    }
    expect(() => flow.answer("conflict")).toThrow("latest.json of gw-west keeps changing");

    // Busy waits do not count as conflicts.
    const busyFirst = start({ debounceMs: 0 });
    for (let busy = 1; busy <= 2; busy++) {
      busyFirst.answer(check("cfg-new"));
      busyFirst.answer({ kind: "busy", detail: "x" });
      busyFirst.fireTimer();
    }
    for (let conflict = 1; conflict <= 2; conflict++) {
      busyFirst.answer(check("cfg-new"));
      busyFirst.answer(uploaded());
      busyFirst.answer("conflict");
    }
    busyFirst.answer(check("cfg-new"));
    busyFirst.answer(uploaded());
    expect(() => busyFirst.answer("conflict")).toThrow("latest.json of gw-west keeps changing");

    const recovers = start({ debounceMs: 0 });
    recovers.answer(check("cfg-new"));
    recovers.answer(uploaded());
    recovers.answer("conflict");
    recovers.answer(check("cfg-new"));
    recovers.answer(uploaded());
    recovers.answer("written");
    recovers.answer([]);
    // The audit carries the attempt that published.
    expect((recovers.call.input as { id: string }).id).toBe(`guid(${INSTANCE}:pass:1):2`);
  });

  it("an event in the quiet window gives another pass, with the event's refresh, then ends", () => {
    const flow = debounced();
    flow.answer(check("cfg-old"));
    flow.answer("recorded");
    const quiet = flow.raise("profileChanged", { reason: "weekly refresh", refresh: true });
    expect(quiet.cancelled).toBe(true);
    // The second pass debounces again, then reads with its own pass id.
    expect(flow.statuses.at(-1)).toEqual({ state: "debouncing", passes: 1 });
    flow.fireTimer();
    flow.answer(check("cfg-old"));
    expect((flow.call.input as { refresh: boolean }).refresh).toBe(true);
    flow.answer({ kind: "unchanged", version: "v-old", serverRoot: ROOT });
    expect((flow.call.input as { id: string }).id).toBe(`guid(${INSTANCE}:pass:2):1`);
    flow.answer("recorded");
    // An event without a payload is a plain change: no refresh.
    flow.raise("profileChanged", undefined);
    flow.fireTimer();
    flow.answer(check("cfg-old"));
    expect(flow.call.input).toMatchObject({ action: "profile.skipped" });
    flow.answer("recorded");
    expect(settles(flow, 3)).toEqual({
      passes: [
        { outcome: "skipped", fingerprint: "v-old" },
        { outcome: "unchanged", fingerprint: "v-old" },
        { outcome: "skipped", fingerprint: "v-old" },
      ],
    });
  });
});
