// What a chaos run does, drawn from one seed: which way in each request takes (the mix, a table: a new way in is one
// more entry) and which faults are injected at which rates. Pure.
import { seededRandom } from "../../dev/emulators/framework";

/** Where a user stands, as the run's driver last made it. */
export type UserState = "new" | "onboarded" | "offboarded";

export const ROOT_ROTATION = "root rotation";

/** One way in: its name, its weight in the mix, and which users it may be sent for. */
export interface MixEntry {
  readonly name: string;
  readonly weight: number;
  /** The user states it applies to; "any" for requests about no one user (e.g. a root rotation). */
  readonly appliesTo: readonly UserState[] | "any";
  /** Where it leaves the user once accepted; undefined leaves the state as it was. */
  readonly leaves?: UserState;
  /** At most this many of it in one run (a root rotation reissues every active user: a few are enough). */
  readonly limit?: number;
}

/** The mix. A root rotation is about no one user; the app runs at most one at a time (a second start joins it). */
export const MIX: readonly MixEntry[] = [
  { name: "ticket onboard", weight: 14, appliesTo: ["new", "offboarded"], leaves: "onboarded" },
  { name: "ticket reissue", weight: 8, appliesTo: ["onboarded"] },
  { name: "ticket offboard", weight: 12, appliesTo: ["onboarded"], leaves: "offboarded" },
  { name: "HR hire", weight: 12, appliesTo: ["new"], leaves: "onboarded" },
  { name: "HR rehire", weight: 6, appliesTo: ["offboarded"], leaves: "onboarded" },
  { name: "HR termination", weight: 12, appliesTo: ["onboarded"], leaves: "offboarded" },
  { name: "Entra group join", weight: 8, appliesTo: ["new"], leaves: "onboarded" },
  { name: "Entra group leave", weight: 6, appliesTo: ["onboarded"], leaves: "offboarded" },
  { name: "Entra account disabled", weight: 4, appliesTo: ["onboarded"], leaves: "offboarded" },
  { name: "self-service CSR", weight: 10, appliesTo: ["onboarded"] },
  { name: ROOT_ROTATION, weight: 4, appliesTo: "any", limit: 2 },
];

/** Fault rates: the chance each call to that dependency is hit. */
export interface FaultRates {
  readonly keyVault429: number;
  readonly keyVault503: number;
  readonly keyVaultReset: number;
  readonly keyVaultLatency: number;
  readonly arm429: number;
  readonly arm503: number;
  readonly arm409: number;
  /** Chance per chaos step that the next gateway operation ends Failed with AnotherOperationInProgress. */
  readonly armFailedOperation: number;
  readonly armLatency: number;
  readonly graph429: number;
  readonly graph503: number;
  readonly storage503: number;
  readonly storage500After: number;
  readonly storageLatency: number;
  readonly activityAfterEffect: number;
}

export const DEFAULT_RATES: FaultRates = {
  keyVault429: 0.04,
  keyVault503: 0.02,
  keyVaultReset: 0.02,
  keyVaultLatency: 0.05,
  arm429: 0.04,
  arm503: 0.03,
  arm409: 0.04,
  armFailedOperation: 0.05,
  armLatency: 0.05,
  graph429: 0.05,
  graph503: 0.03,
  storage503: 0.01,
  storage500After: 0.005,
  storageLatency: 0.02,
  activityAfterEffect: 0.03,
};

export interface PlannedRequest {
  readonly index: number;
  readonly entry: MixEntry;
  readonly user: string;
}

/** Draws the run's requests: each one a way in, for a user whose state (as the plan leaves it) the way applies to. */
export function planRequests(seed: number, count: number, users: readonly string[], mix = MIX): PlannedRequest[] {
  const random = seededRandom(seed);
  const states = new Map<string, UserState>(users.map((u) => [u, "new"]));
  const planned: PlannedRequest[] = [];
  const drawn = new Map<string, number>();
  for (let index = 0; index < count; index++) {
    const candidates = mix.flatMap((entry) => {
      if (entry.limit !== undefined && (drawn.get(entry.name) ?? 0) >= entry.limit) return [];
      const eligible = users.filter(
        (u) => entry.appliesTo === "any" || entry.appliesTo.includes(states.get(u) ?? "new"),
      );
      return eligible.length === 0 ? [] : [{ entry, eligible }];
    });
    const total = candidates.reduce((sum, c) => sum + c.entry.weight, 0);
    let roll = random() * total;
    const chosen = candidates.find((c) => (roll -= c.entry.weight) < 0) ?? candidates[candidates.length - 1];
    if (chosen === undefined) break;
    const user = chosen.eligible[Math.floor(random() * chosen.eligible.length)] ?? chosen.eligible[0] ?? "";
    planned.push({ index, entry: chosen.entry, user });
    drawn.set(chosen.entry.name, (drawn.get(chosen.entry.name) ?? 0) + 1);
    if (chosen.entry.leaves !== undefined) states.set(user, chosen.entry.leaves);
  }
  return planned;
}

/**
 * The rotations a run cancels right after starting them: on an odd seed, the first of the plan's rotations, and only
 * when a later one is left to run to the end.
 */
export function rotationsToCancel(seed: number, planned: readonly PlannedRequest[]): ReadonlySet<number> {
  const rotations = planned.filter((p) => p.entry.name === ROOT_ROTATION);
  const first = rotations[0];
  return new Set(seed % 2 === 1 && rotations.length > 1 && first !== undefined ? [first.index] : []);
}
