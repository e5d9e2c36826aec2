// bench:capacity's options (--seed, --users, --years, --ledger-rows) and the product settings it applies, read with
// the product's own schema (defaults, or the same variables from the environment).
import { parseArgs } from "node:util";
import { settingsSchema } from "../src/config";
import { ISSUE_RATES } from "./capacity-org";
import { DEFAULT_COLLECTION } from "./capacity-policy";
import type { SimSettings } from "./capacity-sim";

export interface BenchOptions {
  readonly seed: number;
  readonly users: number;
  readonly years: number;
  /** 0: no ledger-at-scale part. */
  readonly ledgerRows: number;
  /** Whether to run the simulation (--no-simulate: only the ledger at scale). */
  readonly simulate: boolean;
  /** Where the simulation keeps its revocations: the ledger on Azurite, or memory. */
  readonly simStore: "ledger" | "memory";
  /** Whether a grace period found by the sweep is run again on the ledger (--no-confirm: not). */
  readonly confirm: boolean;
}

function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${raw}"`);
  }
  return value;
}

function store(raw: string | undefined): "ledger" | "memory" {
  if (raw === undefined || raw === "ledger" || raw === "memory") return raw ?? "ledger";
  throw new Error(`--sim-store must be ledger or memory, got "${raw}"`);
}

export function benchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seed: { type: "string" },
      users: { type: "string" },
      years: { type: "string" },
      "ledger-rows": { type: "string" },
      "sim-store": { type: "string" },
      "no-simulate": { type: "boolean" },
      "no-confirm": { type: "boolean" },
    },
    strict: true,
  });
  return {
    seed: positive("seed", values.seed, 1),
    users: positive("users", values.users, 5000),
    years: positive("years", values.years, 3, false),
    ledgerRows: values["ledger-rows"] === "0" ? 0 : positive("ledger-rows", values["ledger-rows"], 100_000),
    simulate: values["no-simulate"] !== true,
    simStore: store(values["sim-store"]),
    confirm: values["no-confirm"] !== true,
  };
}

/** A product setting as the app would read it from this environment (its default when unset). */
function setting(name: keyof typeof settingsSchema.shape): unknown {
  return settingsSchema.shape[name].parse(process.env[name]);
}

function numberSetting(name: keyof typeof settingsSchema.shape): number {
  const value = setting(name);
  if (typeof value !== "number") throw new Error(`${name} is not a number`);
  return value;
}

/** The product settings the simulation applies, by name. */
export interface ProductSettings {
  readonly CLIENT_CERT_VALIDITY_DAYS: number;
  readonly CLIENT_RENEWAL_DAYS: number;
  readonly GATEWAY_PRUNE_MARGIN_HOURS: number;
  readonly CA_ROOT_VALIDITY_YEARS: number;
  readonly REVOCATION_CAPACITY_ALERT_PERCENT: number;
  readonly REVOCATION_PRUNE_LOOKBACK_DAYS: number;
  readonly ROOT_ROTATION_GRACE_DAYS: number;
  readonly ROOT_ROTATION_RETIRE_AT_PERCENT: number;
  readonly ROOT_ROTATION_BEFORE_EXPIRY_DAYS: number;
}

export function productSettings(): ProductSettings {
  return {
    CLIENT_CERT_VALIDITY_DAYS: numberSetting("CLIENT_CERT_VALIDITY_DAYS"),
    CLIENT_RENEWAL_DAYS: numberSetting("CLIENT_RENEWAL_DAYS"),
    GATEWAY_PRUNE_MARGIN_HOURS: numberSetting("GATEWAY_PRUNE_MARGIN_HOURS"),
    CA_ROOT_VALIDITY_YEARS: numberSetting("CA_ROOT_VALIDITY_YEARS"),
    REVOCATION_CAPACITY_ALERT_PERCENT: numberSetting("REVOCATION_CAPACITY_ALERT_PERCENT"),
    REVOCATION_PRUNE_LOOKBACK_DAYS: numberSetting("REVOCATION_PRUNE_LOOKBACK_DAYS"),
    ROOT_ROTATION_GRACE_DAYS: numberSetting("ROOT_ROTATION_GRACE_DAYS"),
    ROOT_ROTATION_RETIRE_AT_PERCENT: numberSetting("ROOT_ROTATION_RETIRE_AT_PERCENT"),
    ROOT_ROTATION_BEFORE_EXPIRY_DAYS: numberSetting("ROOT_ROTATION_BEFORE_EXPIRY_DAYS"),
  };
}

/** `graceOnly`: the policy before ROOT_ROTATION_RETIRE_AT_PERCENT (the old root retires only by collection or grace). */
export function simSettings(
  options: BenchOptions,
  product: ProductSettings,
  auto: boolean,
  graceOnly = false,
): SimSettings {
  return {
    seed: options.seed,
    years: options.years,
    rates: { users: options.users, ...ISSUE_RATES },
    policy: { validityDays: product.CLIENT_CERT_VALIDITY_DAYS, renewalDays: product.CLIENT_RENEWAL_DAYS },
    pruneMarginHours: product.GATEWAY_PRUNE_MARGIN_HOURS,
    pruneLookbackDays: product.REVOCATION_PRUNE_LOOKBACK_DAYS,
    rootValidityYears: product.CA_ROOT_VALIDITY_YEARS,
    rotation: {
      auto,
      thresholdPercent: product.REVOCATION_CAPACITY_ALERT_PERCENT,
      graceDays: product.ROOT_ROTATION_GRACE_DAYS,
      beforeExpiryDays: product.ROOT_ROTATION_BEFORE_EXPIRY_DAYS,
      ...(graceOnly ? {} : { retireAtPercent: product.ROOT_ROTATION_RETIRE_AT_PERCENT }),
    },
    collection: DEFAULT_COLLECTION,
  };
}
