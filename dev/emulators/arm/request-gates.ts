// Gates that hold the next GET or PUT of a gateway before the emulator handles it, so a test can place an operator's
// edit exactly between two requests of the app (for instance between the writer's read and its write) without
// relying on timing. A gate holds one request; `reached` resolves when that request arrives, `release` lets it on.
import { gatewayKey } from "./resource-id";
import type { GatewayRef } from "./resource-id";

export type GatedRequest = "get" | "put";

export interface RequestGate {
  /** Resolves when the held request has arrived (and waits for release). */
  readonly reached: Promise<void>;
  /** Lets the held request (or, if none has arrived yet, the next one) through. */
  release(): void;
}

interface Pending {
  readonly arrive: () => void;
  readonly released: Promise<void>;
  readonly release: () => void;
}

export class RequestGates {
  private readonly pending = new Map<string, Pending[]>();

  hold(ref: GatewayRef, request: GatedRequest): RequestGate {
    let arrive = (): void => undefined;
    let release = (): void => undefined;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const key = `${request}:${gatewayKey(ref)}`;
    this.pending.set(key, [...(this.pending.get(key) ?? []), { arrive, released, release }]);
    return { reached, release };
  }

  /** Called by the routes: waits at the first gate set for this request, if any (each gate holds one request). */
  async pass(ref: GatewayRef, request: GatedRequest): Promise<void> {
    const key = `${request}:${gatewayKey(ref)}`;
    const gate = this.pending.get(key)?.shift();
    if (gate === undefined) return;
    gate.arrive();
    await gate.released;
  }

  /** Releases every gate (reset, stop), so no request stays held. */
  clear(): void {
    for (const gates of this.pending.values()) for (const gate of gates) gate.release();
    this.pending.clear();
  }
}
