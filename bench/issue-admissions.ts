// When the emulator admitted each certificate create, seen from inside its throttle: the vault charges a create when
// the request arrives, before the key is generated, so these are the times the limit applies to. (The time a create
// call returns also carries the emulator's key generation, which on a small machine queues behind the other creates
// and says nothing about the throttle.)
import { KeyVaultThrottle } from "../dev/emulators/keyvault/throttle-model";

export interface AdmissionRecorder {
  /** performance.now() of each admitted certificate create since the last reset, ascending. */
  times(): number[];
  reset(): void;
  restore(): void;
}

export function recordCreateAdmissions(): AdmissionRecorder {
  // Taken as a plain function and always called with the throttle as `this`.
  const original = Object.getOwnPropertyDescriptor(KeyVaultThrottle.prototype, "charge")
    ?.value as KeyVaultThrottle["charge"];
  let admitted: number[] = [];
  KeyVaultThrottle.prototype.charge = function charge(this: KeyVaultThrottle, cost) {
    const verdict = original.call(this, cost);
    if (cost.pool === "keyCreate" && verdict.admitted) admitted.push(performance.now());
    return verdict;
  };
  return {
    times: () => [...admitted],
    reset: () => {
      admitted = [];
    },
    restore: () => {
      KeyVaultThrottle.prototype.charge = original;
    },
  };
}
