// npm run bench:capacity [-- --seed N --users N --years N --ledger-rows N]: an organisation (5,000 users, 15 % yearly
// turnover, 2 % of users losing a device a month, rehires, 180-day certificates renewed CLIENT_RENEWAL_DAYS before
// expiry) lives three years on a virtual clock; every revocation goes through the real ledger (Azurite, revocation
// index), and one writer pass a day plans the gateway with the real planner. Run without and with automatic root
// rotation: the revocation list's peak, the revocations ever left off and their exposure. If the default grace
// period leaves revocations off, shorter graces and lower thresholds are tried (in memory) and the first that leaves
// none is run again on the ledger. Then a ledger of 100,000 rows: what one writer pass reads, index against scan.
import { withAzurite } from "./capacity-azurite";
import type { BenchStorage } from "./capacity-azurite";
import { checkSeeded, ledgerRows, naiveRead, seedCertificates, timeReads } from "./capacity-ledger";
import { LedgerPort, MemoryPort } from "./capacity-port";
import type { WriterRead } from "./capacity-port";
import { SeededRandom } from "./capacity-random";
import { eventLine, ledgerLines, runTable } from "./capacity-report";
import type { LabelledRun } from "./capacity-report";
import { benchOptions, productSettings, simSettings } from "./capacity-settings";
import type { BenchOptions, ProductSettings } from "./capacity-settings";
import { simulate, SIM_START } from "./capacity-sim";
import { desiredRevocations, readAsLoader } from "./capacity-pass";
import type { SimSettings } from "./capacity-sim";
import { runBench } from "./bench-main";
import { tableClient } from "../src/clients/storage";
import type { Ledger } from "../src/clients/ledger";

const log = (line: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** The writer pass's read through the revocation index (h-capacity's RevocationIndex on the ledger). */
function indexReader(ledger: Ledger): (roots: readonly string[], cutoff: Date) => Promise<WriterRead> {
  return (roots, cutoff) => ledger.revocations.readForWriter(roots, cutoff);
}

async function onLedger(
  storage: BenchStorage,
  prefix: string,
  label: string,
  settings: SimSettings,
): Promise<LabelledRun> {
  log(`${label}: simulating on the ledger...`);
  const ledger = storage.ledger(prefix);
  await ledger.ensureTables();
  const figures = await simulate(settings, new LedgerPort(ledger, indexReader(ledger)), (line) => {
    log(`  ${line}`);
  });
  const run: LabelledRun = { label, store: "ledger", figures };
  log(`  ${runTable([run])[1] ?? ""}`);
  log(`  ${eventLine(label, figures)}`);
  return run;
}

async function inMemory(label: string, settings: SimSettings): Promise<LabelledRun> {
  log(`${label}: simulating in memory...`);
  const run: LabelledRun = { label, store: "memory", figures: await simulate(settings, new MemoryPort()) };
  log(`  ${runTable([run])[1] ?? ""}`);
  return run;
}

/** Shorter graces at the default threshold, then lower thresholds at the default grace: the first with none left off. */
async function sweep(options: BenchOptions, product: ProductSettings): Promise<LabelledRun[]> {
  const runs: LabelledRun[] = [];
  for (const grace of [10, 7, 5, 4, 3, 2, 1].filter((g) => g < product.ROOT_ROTATION_GRACE_DAYS)) {
    const run = await inMemory(
      `auto, ROOT_ROTATION_GRACE_DAYS=${String(grace)}`,
      simSettings(options, { ...product, ROOT_ROTATION_GRACE_DAYS: grace }, true),
    );
    runs.push(run);
    if (run.figures.leftOffEver === 0) break;
  }
  for (const percent of [70, 60, 50, 40, 30, 20].filter((p) => p < product.REVOCATION_CAPACITY_ALERT_PERCENT)) {
    const run = await inMemory(
      `auto, REVOCATION_CAPACITY_ALERT_PERCENT=${String(percent)}`,
      simSettings(options, { ...product, REVOCATION_CAPACITY_ALERT_PERCENT: percent }, true),
    );
    runs.push(run);
    if (run.figures.leftOffEver === 0) break;
  }
  return runs;
}

async function ledgerAtScale(
  storage: BenchStorage,
  options: BenchOptions,
  product: ProductSettings,
): Promise<string[]> {
  const random = new SeededRandom(options.seed + 1);
  // Five roots over the ledger's history: three retired, one retiring, one current.
  const roots = Array.from({ length: 5 }, () => random.thumbprint());
  const now = new Date(SIM_START.getTime() + 3 * 365 * 86_400_000);
  const validityDays = product.CLIENT_CERT_VALIDITY_DAYS;
  const records = ledgerRows(random, { rows: options.ledgerRows, roots, validityDays, now });
  const revoked = records.filter((r) => r.status === "revoked").length;
  log(`ledger at scale: seeding ${String(records.length)} rows (${String(revoked)} revoked)...`);
  const prefix = "capScale";
  const ledger = storage.ledger(prefix);
  await ledger.ensureTables();
  const table = tableClient(
    { AzureWebJobsStorage: storage.connectionString, P2S_CREDENTIAL: "default" },
    `${prefix}Certificates`,
  );
  await seedCertificates(table, records);
  await checkSeeded(ledger, records);
  // The rows were written as an older ledger holds them: the index is filled by the product's one-off backfill.
  log("ledger at scale: backfilling the revocation index...");
  const backfillStarted = performance.now();
  await ledger.revocations.ensureBackfilled(() => ledger.listByStatus("revoked"));
  const backfillMs = performance.now() - backfillStarted;
  log("ledger at scale: timing the reads...");
  const trusted = roots.slice(-2);
  const retired = roots.slice(0, -2);
  const port = new LedgerPort(ledger, indexReader(ledger));
  const marginMs = product.GATEWAY_PRUNE_MARGIN_HOURS * 3_600_000;
  const viaIndex = async (): Promise<WriterRead> => {
    const read = await readAsLoader(
      port,
      trusted,
      retired,
      {
        pruneMarginHours: product.GATEWAY_PRUNE_MARGIN_HOURS,
        pruneLookbackDays: product.REVOCATION_PRUNE_LOOKBACK_DAYS,
      },
      now,
    );
    const desired = desiredRevocations(read.trusted, read.retired, now, marginMs);
    return { entries: desired.revokedThumbprints.map((thumbprint) => ({ thumbprint })), rowsRead: read.rowsRead };
  };
  const index = await timeReads(viaIndex, 5);
  const naive = await timeReads(() => naiveRead(ledger, records.length, trusted, now, marginMs), 3);
  if (index.entries !== naive.entries) {
    throw new Error(`the index read gave ${String(index.entries)} revocations, the scan ${String(naive.entries)}`);
  }
  return [
    ...ledgerLines(records.length, revoked, index, naive),
    `  (the index was filled once from the scan by its backfill: ${(backfillMs / 1000).toFixed(1)} s)`,
  ];
}

async function main(): Promise<void> {
  const options = benchOptions(process.argv.slice(2));
  const product = productSettings();
  const settingsLine = Object.entries(product)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  log(`bench:capacity: seed ${String(options.seed)}, ${String(options.users)} users, ${String(options.years)} years`);
  await withAzurite(async (storage) => {
    const runs: LabelledRun[] = [];
    const swept: LabelledRun[] = [];
    // On the ledger (default), or in memory (--sim-store memory: same planner and policy, an in-memory index).
    const run = (prefix: string, label: string, settings: SimSettings): Promise<LabelledRun> =>
      options.simStore === "memory" ? inMemory(label, settings) : onLedger(storage, prefix, label, settings);
    if (options.simulate) {
      runs.push(await run("capManual", "no automatic rotation", simSettings(options, product, false)));
      runs.push(await run("capAuto", "automatic rotation (settings above)", simSettings(options, product, true)));
      // The policy before ROOT_ROTATION_RETIRE_AT_PERCENT, for comparison: what the early retirements cost and save.
      swept.push(
        await inMemory(
          "automatic rotation, grace only (no retirement at the mark)",
          simSettings(options, product, true, true),
        ),
      );
      const auto = runs[1];
      if (auto !== undefined && auto.figures.leftOffEver > 0) {
        swept.push(...(await sweep(options, product)));
        const fix = swept.find((r) => r.figures.leftOffEver === 0 && r.label.includes("GRACE"));
        const grace = fix === undefined ? undefined : Number(/=(\d+)/.exec(fix.label)?.[1]);
        if (grace !== undefined && options.confirm && options.simStore === "ledger") {
          runs.push(
            await onLedger(
              storage,
              "capAutoFix",
              `automatic rotation, ROOT_ROTATION_GRACE_DAYS=${String(grace)}`,
              simSettings(options, { ...product, ROOT_ROTATION_GRACE_DAYS: grace }, true),
            ),
          );
        }
      }
    }
    const scale = options.ledgerRows > 0 ? await ledgerAtScale(storage, options, product) : [];
    const lines = [
      "",
      `bench:capacity — seed ${String(options.seed)}, ${String(options.users)} users, ${String(options.years)} years, ledger ${String(options.ledgerRows)} rows`,
      `settings: ${settingsLine}`,
      "model: 15 % yearly turnover (each leaver replaced; 10 % of hires are rehires), 2 % of users lose a device a month (every live certificate revoked at once), renewal keeps the old certificate; rotation reissues are collected 70 % within 3 days, 25 % within 30 days, 5 % never",
      "",
      ...(runs.length === 0
        ? []
        : [
            ...runTable([...runs, ...swept]),
            "",
            "peak list: most revocations on the gateway; peak wanted: most the gateway should have held (no limit); left off: revocations",
            "ever left off the gateway; user-days: the days each spent left off while still valid under a trusted root; cut off: active",
            "users who had not collected their reissue when the old root retired (they cannot connect until they do).",
            "",
            ...runs.map((r) => eventLine(r.label, r.figures)),
            "",
          ]),
      ...scale,
      "",
    ];
    process.stdout.write(lines.join("\n"));
  });
}

runBench("capacity", main);
