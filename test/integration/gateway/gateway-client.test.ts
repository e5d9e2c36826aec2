// GatewayClient through the real @azure/arm-network client against the ARM emulator.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatorCa } from "../../../dev/emulators/framework";
import type { EmulatorCa } from "../../../dev/emulators/framework";
import { buildP2sGateway, startArmEmulator } from "../../../dev/emulators/arm";
import type { ArmEmulator } from "../../../dev/emulators/arm";
import { GatewayClient, GatewayError, parseGatewayId } from "../../../src/clients/gateway";
import type { PollClock } from "../../../src/clients/gateway";
import { parseConfig } from "../../../src/config";
import type { Config } from "../../../src/config";
import { revokedEntryName } from "../../../src/domain/gateway-config";
import { SteerableClock } from "../../support/steerable-clock";
import { waitFor, within } from "../../support/wait";
import { GATEWAY_ID } from "../arm-emulator/arm-test-support";

const tp = (n: number): string => n.toString(16).toUpperCase().padStart(40, "0");
const ref = parseGatewayId(GATEWAY_ID);

let ca: EmulatorCa;
let arm: ArmEmulator;
let dir: string;
let client: GatewayClient;
let config: Config;
const clock = new SteerableClock();

beforeAll(async () => {
  ca = await createEmulatorCa();
  dir = mkdtempSync(join(tmpdir(), "p2s-gw-"));
  await ca.writeCertPem(join(dir, "ca.pem"));
  arm = await startArmEmulator({ ca, clock, operationDurationMs: 30, pollRetryAfterSeconds: null });
  config = parseConfig({
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    KEY_VAULT_URL: "https://127.0.0.1:1",
    ARM_ENDPOINT: arm.url,
    GRAPH_ENDPOINT: "https://127.0.0.1:2",
    P2S_CREDENTIAL: "localEmulator",
    P2S_TRUSTED_CA_FILE: join(dir, "ca.pem"),
    // No API call here: no access tokens to validate.
    API_TOKENS_REQUIRED: "false",
  });
  client = new GatewayClient(config, { pollIntervalMs: 10 });
});

afterAll(async () => {
  await arm.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  arm.controls.reset();
  arm.controls.seedGateway(GATEWAY_ID, buildP2sGateway({ id: GATEWAY_ID }));
});

describe("GatewayClient", () => {
  it("reads the P2S state and writes it back in one PUT, keeping the rest of the gateway", async () => {
    const before = await client.read(ref);
    expect(before.state.revoked).toEqual([]);
    const after = await client.write(ref, before, {
      roots: before.state.roots,
      revoked: [{ name: revokedEntryName(tp(1)), thumbprint: tp(1) }],
    });
    expect(after.state.revoked).toEqual([{ name: revokedEntryName(tp(1)), thumbprint: tp(1) }]);
    expect(after.gateway.vpnClientConfiguration?.vpnClientAddressPool).toEqual(
      before.gateway.vpnClientConfiguration?.vpnClientAddressPool,
    );
    expect(arm.stats.operation("virtualNetworkGateways.put").count).toBe(1);
  });

  it("refuses a write over a concurrent edit (If-Match) instead of losing it", async () => {
    const stale = await client.read(ref);
    const fresh = await client.read(ref);
    await client.write(ref, fresh, { roots: fresh.state.roots, revoked: [{ name: "by-hand", thumbprint: tp(9) }] });
    await expect(client.write(ref, stale, { roots: stale.state.roots, revoked: [] })).rejects.toMatchObject({
      kind: "preconditionFailed",
      statusCode: 412,
    });
    expect((await client.read(ref)).state.revoked).toEqual([{ name: "by-hand", thumbprint: tp(9) }]);
  });

  it.each(["failedOperation", "synchronous"] as const)(
    "classifies AnotherOperationInProgress as busy (%s)",
    async (form) => {
      arm.controls.setConflictForm(form);
      // The first write runs until the test ends it (the emulator's clock jumps past it).
      arm.controls.setOperationDurationMs(10 * 60_000);
      const snapshot = await client.read(ref);
      const first = client.write(ref, snapshot, { roots: snapshot.state.roots, revoked: [] });
      await waitFor(() => arm.controls.runningOperation(GATEWAY_ID)?.name === "virtualNetworkGateways.put", {
        message: "the first write to occupy the gateway",
      });
      arm.controls.setOperationDurationMs(30);
      const again = await client.read(ref);
      const error = await client.write(ref, again, { roots: again.state.roots, revoked: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ kind: "busy", code: "AnotherOperationInProgress" });
      clock.jumpTo(Date.parse(arm.controls.runningOperation(GATEWAY_ID)?.endsAt ?? ""));
      await within(first, { message: "the first write to end" });
    },
  );

  it("classifies a long-running operation that fails with AnotherOperationInProgress as busy", async () => {
    arm.controls.failNextOperation(GATEWAY_ID, { code: "AnotherOperationInProgress", message: "busy" });
    const snapshot = await client.read(ref);
    await expect(client.write(ref, snapshot, { roots: snapshot.state.roots, revoked: [] })).rejects.toMatchObject({
      kind: "busy",
    });
  });

  /** A clock for pollWrite that records each wait and moves on at once. */
  function pacedClient(): { client: GatewayClient; sleeps: number[] } {
    let now = 0;
    const sleeps: number[] = [];
    const clock: PollClock = {
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    };
    return { client: new GatewayClient(config, { pollIntervalMs: 10, clock }), sleeps };
  }

  it("follows a write at the gateway's Retry-After, not its own interval: six polls, six delays per call", async () => {
    // Azure sends Retry-After: 10 (a minute per call); 1 s here. The client's own interval is 10 ms.
    arm.controls.setPollRetryAfterSeconds(1);
    arm.controls.setOperationDurationMs(60 * 60_000);
    const paced = pacedClient();
    const snapshot = await paced.client.read(ref);
    const begun = await paced.client.beginWrite(ref, snapshot, snapshot.state);
    if (begun.state !== "running") throw new Error("the write ended at once");
    const polls = (): number => arm.stats.operation("virtualNetworkGateways.operationStatus").count;
    const before = polls();

    const progress = await paced.client.pollWrite(ref, begun.operation, { polls: 6, maxMs: 60_000 });

    expect(progress.state).toBe("running");
    expect(polls() - before).toBe(6);
    // Five delays between the six polls and one after the last (so the next call keeps the pace), each Retry-After.
    expect(paced.sleeps).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
  });

  it("stops following a write when the next delay would pass the call's time limit", async () => {
    arm.controls.setPollRetryAfterSeconds(1);
    arm.controls.setOperationDurationMs(60 * 60_000);
    const paced = pacedClient();
    const snapshot = await paced.client.read(ref);
    const begun = await paced.client.beginWrite(ref, snapshot, snapshot.state);
    if (begun.state !== "running") throw new Error("the write ended at once");
    const polls = (): number => arm.stats.operation("virtualNetworkGateways.operationStatus").count;
    const before = polls();

    await paced.client.pollWrite(ref, begun.operation, { polls: 6, maxMs: 2_500 });

    // The poll on resuming, then two more a second apart; a third delay would pass 2.5 s.
    expect(polls() - before).toBe(3);
    expect(paced.sleeps).toEqual([1000, 1000]);
  });

  it("lists sessions and disconnects only the named ones", async () => {
    const a = arm.controls.connectSession(GATEWAY_ID, { vpnUserName: "ada@contoso.com" });
    const b = arm.controls.connectSession(GATEWAY_ID, { vpnUserName: "bob@contoso.com" });
    const sessions = await client.sessions(ref);
    expect(sessions.map((s) => s.vpnUserName).sort()).toEqual(["ada@contoso.com", "bob@contoso.com"]);
    await client.disconnect(ref, [a]);
    expect(arm.controls.sessions(GATEWAY_ID).map((s) => s.vpnConnectionId)).toEqual([b]);
  });
});
