// Injects a chaos run's faults on every dependency, each at its seeded rate, and counts what was injected: Key Vault
// (bare 429, 503, connection resets before and after the handler, latency), ARM (429 and 503 with Retry-After, 409
// AnotherOperationInProgress, an operation that ends Failed with AnotherOperationInProgress, latency), Graph (429 with
// Retry-After, 503), storage (the fault proxy: 503 ServerBusy, 500 OperationTimedOut after the write, latency), and
// activities that fail after their side effect (the dev durable backend).
import type { LocalDurableBackend } from "../../dev/durable";
import type { EmulatorFaults, FaultRule, FaultRuleInput } from "../../dev/emulators/framework";
import type { Sandbox } from "../../dev/sandbox/sandbox";
import type { FaultRates } from "./plan";

/** A rule's hits are its count minus what remains of it. */
const UNLIMITED = 1_000_000_000;

interface Installed {
  readonly kind: string;
  readonly emulator: { readonly faults: EmulatorFaults };
  readonly rule: FaultRule;
}

export class ChaosFaults {
  #installed: Installed[] = [];
  #failedOperations = 0;
  #random: () => number;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly durable: LocalDurableBackend,
    private readonly seed: number,
    private readonly rates: FaultRates,
  ) {
    let state = seed >>> 0;
    this.#random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 4294967296;
    };
  }

  /** Puts every fault in place. */
  start(): void {
    const { keyVault, arm, graph } = this.sandbox;
    const r = this.rates;
    const add = (
      kind: string,
      emulator: { readonly faults: EmulatorFaults },
      rule: Omit<FaultRuleInput, "count" | "seed">,
      salt: number,
    ): void => {
      if ((rule.probability ?? 1) <= 0) return;
      const installed = emulator.faults.add({ ...rule, count: UNLIMITED, seed: this.seed * 31 + salt });
      this.#installed.push({ kind, emulator, rule: installed });
    };
    add(
      "Key Vault 429 (bare)",
      keyVault,
      { operation: "*", status: 429, code: "Throttled", probability: r.keyVault429 },
      1,
    );
    add(
      "Key Vault 503",
      keyVault,
      { operation: "*", status: 503, code: "ServiceUnavailable", probability: r.keyVault503 },
      2,
    );
    add("Key Vault reset (before)", keyVault, { operation: "*", reset: "before", probability: r.keyVaultReset / 2 }, 3);
    add("Key Vault reset (after)", keyVault, { operation: "*", reset: "after", probability: r.keyVaultReset / 2 }, 4);
    add("Key Vault latency 1.5 s", keyVault, { operation: "*", latencyMs: 1500, probability: r.keyVaultLatency }, 5);
    const gateways = "virtualNetworkGateways.*";
    add(
      "ARM 429",
      arm,
      { operation: gateways, status: 429, code: "TooManyRequests", retryAfterSeconds: 1, probability: r.arm429 },
      6,
    );
    add(
      "ARM 503",
      arm,
      { operation: gateways, status: 503, code: "ServiceUnavailable", retryAfterSeconds: 1, probability: r.arm503 },
      7,
    );
    add(
      "ARM 409 AnotherOperationInProgress",
      arm,
      {
        operation: "virtualNetworkGateways.put",
        status: 409,
        code: "AnotherOperationInProgress",
        message: "Another operation on this or dependent resource is in progress.",
        probability: r.arm409,
      },
      8,
    );
    add("ARM latency 2 s (slow update)", arm, { operation: gateways, latencyMs: 2000, probability: r.armLatency }, 9);
    add(
      "Graph 429 (Retry-After)",
      graph,
      { operation: "*", status: 429, retryAfterSeconds: 1, probability: r.graph429 },
      10,
    );
    add("Graph 503", graph, { operation: "*", status: 503, probability: r.graph503 }, 11);
    this.sandbox.storageFaults?.configure({
      errors: [
        { status: 503, code: "ServerBusy", probability: r.storage503 },
        { status: 500, code: "OperationTimedOut", probability: r.storage500After, afterForwarding: true },
      ],
      latencyProbability: r.storageLatency,
      latencyMs: 800,
    });
    if (r.activityAfterEffect > 0) {
      this.durable.setAfterEffectFailures({ seed: this.seed, probability: r.activityAfterEffect });
    }
  }

  /** Called once per chaos step: now and then the next gateway operation ends Failed (AnotherOperationInProgress). */
  step(): void {
    if (this.#random() >= this.rates.armFailedOperation) return;
    const ids = this.sandbox.endpoints.gatewayIds;
    const gatewayId = ids[Math.floor(this.#random() * ids.length)] ?? ids[0] ?? "";
    this.sandbox.arm.controls.failNextOperation(gatewayId, {
      code: "AnotherOperationInProgress",
      message: "Another operation on this or dependent resource is in progress.",
    });
    this.#failedOperations += 1;
  }

  /** Takes every fault away: the outage is over, and the app must converge. */
  stop(): Record<string, number> {
    const counts = this.counts();
    for (const { emulator, rule } of this.#installed) emulator.faults.remove(rule.id);
    this.sandbox.storageFaults?.configure(undefined);
    this.durable.setAfterEffectFailures(undefined);
    this.#installed = [];
    return counts;
  }

  /** Faults injected so far, by kind. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { kind, emulator, rule } of this.#installed) {
      const now = emulator.faults.list().find((r) => r.id === rule.id);
      counts[kind] = UNLIMITED - (now?.remaining ?? UNLIMITED);
    }
    counts["ARM operation Failed (AnotherOperationInProgress), planned"] = this.#failedOperations;
    const storage = this.sandbox.storageFaults?.counts();
    counts["storage 503 ServerBusy"] = storage?.errors["503 ServerBusy"] ?? 0;
    counts["storage 500 OperationTimedOut after the write"] = storage?.errors["500 OperationTimedOut after"] ?? 0;
    counts["storage latency 0.8 s"] = storage?.delayed ?? 0;
    counts["activity failed after its side effect"] = this.durable.afterEffectFailuresInjected();
    return counts;
  }
}
