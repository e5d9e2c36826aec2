// npm run bench:profiles: 50 gateway write events (Event Grid ResourceWriteSuccess, through the host's webhook) spread
// over a minute, against the real app on the sandbox. Run 1: no profile-relevant change among them → target 0
// generations. Run 2: one address-pool change among them → target exactly 1. Then, in the same process, the naive
// approach: generatevpnprofile + download for every event (the app's own clients), counted the same way, on the
// emulator's statistics. The app runs with PROFILE_DEBOUNCE_MS at its default.
// Environment: BENCH_EVENTS (50), BENCH_WINDOW_MS (60000), BENCH_GATEWAY_MS (2000).
import { randomUUID } from "node:crypto";
import type { LocalDurableBackend } from "../dev/durable";
import { SANDBOX_GATEWAY_ID } from "../dev/sandbox/sandbox";
import type { Sandbox } from "../dev/sandbox/sandbox";
import { profileRegeneratorInstanceId } from "../src/domain/profile-regenerator-id";
import { positiveInt, runBench, withBenchSandbox } from "./bench-main";

const GENERATE = "virtualNetworkGateways.generateVpnProfile";
const TERMINAL = new Set(["Completed", "Failed", "Terminated"]);

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Figures {
  readonly label: string;
  readonly events: number;
  readonly generations: number;
  readonly succeeded: number;
  readonly settledMs: number;
}

function writeEvent(): object {
  return {
    id: randomUUID(),
    topic: "/subscriptions/00000000-0000-0000-0000-00000000c0de",
    subject: SANDBOX_GATEWAY_ID,
    eventType: "Microsoft.Resources.ResourceWriteSuccess",
    eventTime: new Date().toISOString(),
    dataVersion: "2",
    metadataVersion: "1",
    data: {
      resourceProvider: "Microsoft.Network",
      resourceUri: SANDBOX_GATEWAY_ID,
      operationName: "Microsoft.Network/virtualNetworkGateways/write",
      status: "Succeeded",
      subscriptionId: "00000000-0000-0000-0000-00000000c0de",
    },
  };
}

class ProfileBench {
  private readonly instanceId = profileRegeneratorInstanceId(SANDBOX_GATEWAY_ID);

  constructor(private readonly sandbox: Sandbox) {}

  generations(): number {
    return this.sandbox.arm.stats.operation(GENERATE).count;
  }

  async notify(): Promise<void> {
    const response = await fetch(
      `${this.sandbox.endpoints.host}/runtime/webhooks/eventgrid?functionName=gatewayEvents`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "aeg-event-type": "Notification",
          "x-functions-key": this.sandbox.endpoints.eventGridKey,
        },
        body: JSON.stringify([writeEvent()]),
      },
    );
    if (response.status !== 202) throw new Error(`the Event Grid webhook answered ${String(response.status)}`);
  }

  /** Waits (bounded) for the first package: the regenerator the writer's root upload started, finished. */
  async firstPackage(deadlineMs: number): Promise<void> {
    const durable = this.sandbox.host.durable as LocalDurableBackend;
    const deadline = Date.now() + deadlineMs;
    while (durable.inspect(this.instanceId) === undefined) {
      if (Date.now() > deadline) throw new Error(`no profile regenerator started within ${deadlineMs} ms`);
      await sleep(100);
    }
    await this.settled(deadlineMs);
  }

  /** generatevpnprofile operations of the gateway that ran to success (refused ones excluded). */
  succeeded(): number {
    return this.sandbox.arm.controls
      .operations(SANDBOX_GATEWAY_ID)
      .filter((o) => o.name === GENERATE && o.status === "Succeeded").length;
  }

  /** Waits (bounded) until the gateway's regenerator has finished. */
  async settled(deadlineMs: number): Promise<void> {
    const durable = this.sandbox.host.durable as LocalDurableBackend;
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const status = durable.inspect(this.instanceId)?.runtimeStatus;
      if (status === undefined || TERMINAL.has(status)) return;
      if (Date.now() > deadline) throw new Error(`the profile regenerator is still ${status} after ${deadlineMs} ms`);
      await sleep(100);
    }
  }

  /** `events` write events evenly over `windowMs`; `changeAt` (an index) is preceded by an address-pool change. */
  async run(label: string, events: number, windowMs: number, changeAt?: number): Promise<Figures> {
    await this.settled(120_000);
    const before = this.generations();
    const succeededBefore = this.succeeded();
    const started = performance.now();
    for (let i = 0; i < events; i++) {
      const due = started + (windowMs * i) / events;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (i === changeAt) this.changeAddressPool(i);
      await this.notify();
    }
    await sleep(100);
    await this.settled(windowMs + 300_000);
    return {
      label,
      events,
      generations: this.generations() - before,
      succeeded: this.succeeded() - succeededBefore,
      settledMs: performance.now() - started,
    };
  }

  private changeAddressPool(i: number): void {
    const arm = this.sandbox.arm.controls;
    const gateway = arm.storedGateway(SANDBOX_GATEWAY_ID) as { properties: { vpnClientConfiguration: object } };
    Object.assign(gateway.properties.vpnClientConfiguration, {
      vpnClientAddressPool: { addressPrefixes: [`172.16.${String(210 + (i % 40))}.0/24`] },
    });
    arm.seedGateway(SANDBOX_GATEWAY_ID, gateway);
  }
}

/** The naive approach: every event regenerates and downloads, through the app's own gateway and download clients. */
async function runNaive(bench: ProfileBench, sandbox: Sandbox, events: number, windowMs: number): Promise<Figures> {
  const { services } = await import("../src/activities/services");
  const { parseGatewayId } = await import("../src/clients/gateway");
  const { downloadProfilePackage } = await import("../src/clients/profile-download");
  const { tlsClientOptions } = await import("../src/clients/azure-options");
  const { config, gateways } = services();
  const ca = tlsClientOptions(config).tlsOptions?.ca;
  const before = sandbox.arm.stats.operation(GENERATE).count;
  const succeededBefore = bench.succeeded();
  const started = performance.now();
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < events; i++) {
    const wait = started + (windowMs * i) / events - performance.now();
    if (wait > 0) await sleep(wait);
    runs.push(
      (async () => {
        // A script per event: regenerate, wait out a busy gateway (409 AnotherOperationInProgress) and try again.
        for (let attempt = 0; attempt < 60; attempt++) {
          try {
            const url = await gateways.generateVpnProfile(parseGatewayId(SANDBOX_GATEWAY_ID));
            await downloadProfilePackage(url, {
              allowedHosts: config.PROFILE_DOWNLOAD_HOSTS,
              maxBytes: config.PROFILE_DOWNLOAD_MAX_BYTES,
              timeoutMs: config.PROFILE_DOWNLOAD_TIMEOUT_MS,
              ...(ca === undefined ? {} : { ca }),
            });
            return;
          } catch {
            await sleep(1000);
          }
        }
      })(),
    );
  }
  await Promise.all(runs);
  return {
    label: "naive: regenerate per event",
    events,
    generations: sandbox.arm.stats.operation(GENERATE).count - before,
    succeeded: bench.succeeded() - succeededBefore,
    settledMs: performance.now() - started,
  };
}

function row(cells: readonly string[]): string {
  const widths = [40, 7, 7, 10, 9];
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" ");
}

async function main(): Promise<void> {
  const events = positiveInt("BENCH_EVENTS", 50);
  const windowMs = positiveInt("BENCH_WINDOW_MS", 60_000);
  const gatewayMs = positiveInt("BENCH_GATEWAY_MS", 2000);
  process.stdout.write(`bench:profiles: starting the sandbox (gateway operations ${String(gatewayMs)} ms)...\n`);
  await withBenchSandbox(
    {
      gatewayOperationMs: gatewayMs,
      gatewayRetryAfterSeconds: null,
      // The app as deployed: PROFILE_DEBOUNCE_MS at its default; the safety-net timers never fire during the bench.
      settings: {
        GATEWAY_RECONCILE_SCHEDULE: "0 0 0 1 1 *",
        PROFILE_REFRESH_SCHEDULE: "0 0 0 1 1 *",
        PROFILE_DEBOUNCE_MS: "30000",
        GATEWAY_POLL_INTERVAL_MS: "100",
      },
    },
    async (sandbox) => {
      const bench = new ProfileBench(sandbox);
      // The first package (published after the writer uploaded the root at start) is the baseline.
      await bench.firstPackage(180_000);
      process.stdout.write(`app: ${String(events)} write events over ${seconds(windowMs)}, no profile change...\n`);
      const none = await bench.run("app: no profile-relevant change", events, windowMs);
      process.stdout.write(
        `app: ${String(events)} write events over ${seconds(windowMs)}, one address-pool change...\n`,
      );
      const one = await bench.run("app: one address-pool change", events, windowMs, Math.floor(events / 2));
      process.stdout.write(`naive: ${String(events)} write events over ${seconds(windowMs)}...\n`);
      const naive = await runNaive(bench, sandbox, events, windowMs);
      const met = none.generations === 0 && one.generations === 1 && one.succeeded === 1;
      const lines = [
        "",
        `bench:profiles — ${String(events)} gateway write events over ${seconds(windowMs)}, emulated gateway operation ${String(gatewayMs)} ms, PROFILE_DEBOUNCE_MS 30000`,
        "",
        row(["approach", "events", "calls", "generated", "settled"]),
        ...[none, one, naive].map((f) =>
          row([f.label, String(f.events), String(f.generations), String(f.succeeded), seconds(f.settledMs)]),
        ),
        "",
        "calls: generatevpnprofile requests (a busy gateway's refusals included, which the naive scripts retry);",
        "generated: those that ran to success (each occupied the gateway for one operation, like a write);",
        "settled: first event → the regenerator finished (naive: every script done).",
        `target: 0 generations without a change, exactly 1 with one → ${met ? "met" : "MISSED"} (${String(none.generations)}, ${String(one.generations)})`,
        "",
      ];
      process.stdout.write(lines.join("\n"));
      if (!met) process.exitCode = 1;
    },
  );
}

runBench("profiles", main);
