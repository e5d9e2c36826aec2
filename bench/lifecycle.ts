// npm run bench:lifecycle: 200 onboardings then 200 offboardings through POST /api/v1/requests, signed as a ticketing
// system signs them, on the sandbox (Key Vault emulator with Key Vault's documented throttle, an emulated gateway whose
// updates take 2 s and whose polls carry Retry-After: 10, the app's default pacing and coalescing). Two approaches in
// the same run, each on its own users: the app (the tickets arrive within a second and run at once) and the naive
// one (one ticket at a time, each sent once the previous one finished). Offboardings count as done once every
// revocation is on the gateway. Every request must succeed, or the bench fails.
// Environment: BENCH_LIFECYCLE_USERS (200), BENCH_GATEWAY_MS (2000).
import { LifecycleBench } from "./lifecycle-run";
import type { Approach, PhaseFigures } from "./lifecycle-run";
import { positiveInt, runBench, withBenchSandbox } from "./bench-main";

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function row(cells: readonly string[]): string {
  const widths = [32, 9, 10, 10, 7, 5, 13];
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" ");
}

function figuresRow(approach: Approach, f: PhaseFigures): string {
  return row([
    `${approach === "app" ? "app (burst)" : "naive (one at a time)"}: ${f.action}`,
    String(f.requests),
    String(f.succeeded),
    seconds(f.wallMs),
    String(f.gatewayWrites),
    String(f.gatewayRefusals),
    String(f.keyVaultThrottled),
  ]);
}

const usersOf = (approach: Approach, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `bench-${approach}-${String(i).padStart(3, "0")}@contoso.com`);

async function main(): Promise<void> {
  const count = positiveInt("BENCH_LIFECYCLE_USERS", 200);
  const gatewayMs = positiveInt("BENCH_GATEWAY_MS", 2000);
  const approaches: readonly Approach[] = ["app", "naive"];
  process.stdout.write(`bench:lifecycle: starting the sandbox (gateway update ${String(gatewayMs)} ms)...\n`);
  await withBenchSandbox(
    {
      gatewayOperationMs: gatewayMs,
      // The VPN group gate is on, as in production: the bench users are members.
      vpnGroupMembers: approaches.flatMap((approach) => usersOf(approach, count)),
      // Only the requests run the writer; the safety-net timer never fires during the bench.
      settings: { GATEWAY_RECONCILE_SCHEDULE: "0 0 0 1 1 *", GATEWAY_POLL_INTERVAL_MS: "100" },
    },
    async (sandbox) => {
      const bench = new LifecycleBench(sandbox);
      const results: { approach: Approach; figures: PhaseFigures[] }[] = [];
      for (const approach of approaches) {
        const users = usersOf(approach, count);
        // A fresh throttle window per approach. Keys made ahead: Key Vault answers a burst's creates at once; the emulator would make them one by one.
        await sandbox.keyVault.prepareKeys(2048, count);
        sandbox.keyVault.throttle.reset();
        const figures: PhaseFigures[] = [];
        for (const action of ["onboard", "offboard"] as const) {
          process.stdout.write(`${approach}: ${String(count)} ${action} tickets...\n`);
          figures.push(await bench.phase(approach, action, users));
        }
        results.push({ approach, figures });
        await bench.pruneRevocations();
      }

      const total = (approach: Approach): number =>
        (results.find((r) => r.approach === approach)?.figures ?? []).reduce((sum, f) => sum + f.wallMs, 0);
      const writes = (approach: Approach): number =>
        (results.find((r) => r.approach === approach)?.figures ?? []).reduce((sum, f) => sum + f.gatewayWrites, 0);
      const lines = [
        "",
        `bench:lifecycle — ${String(count)} onboardings then ${String(count)} offboardings through POST /api/v1/requests`,
        "",
        row(["approach: phase", "requests", "succeeded", "wall", "writes", "busy", "KV throttled"]),
        ...results.flatMap(({ approach, figures }) => figures.map((f) => figuresRow(approach, f))),
        "",
        "wall: first ticket → every request finished (offboard: and every revocation on the gateway); writes: gateway",
        "PUTs; busy: PUTs refused by the busy gateway; KV throttled: Key Vault 429 answers.",
        `total: app ${seconds(total("app"))}, ${String(writes("app"))} writes; naive ${seconds(total("naive"))}, ${String(writes("naive"))} writes; naive/app time ${(total("naive") / total("app")).toFixed(1)}×`,
        "",
      ];
      process.stdout.write(lines.join("\n"));
    },
  );
}

runBench("lifecycle", main);
