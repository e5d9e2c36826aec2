// Start-up phase timings of the sandbox, so the ready line and the tests can say where the start-up time goes.
// Phases may overlap (Azurite, the CA and the app import run at once), so each keeps its start and its duration.

export interface StartupPhase {
  readonly name: string;
  /** Milliseconds from the start of startSandbox to the start of the phase. */
  readonly startMs: number;
  readonly durationMs: number;
}

export interface SandboxStartup {
  readonly totalMs: number;
  readonly phases: readonly StartupPhase[];
}

export class StartupPhases {
  readonly #origin = performance.now();
  readonly #phases: StartupPhase[] = [];

  /** Runs (or awaits) one phase and records how long it took, whether it succeeded or not. */
  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const startMs = performance.now() - this.#origin;
    try {
      return await work();
    } finally {
      this.#phases.push({ name, startMs, durationMs: performance.now() - this.#origin - startMs });
    }
  }

  finish(): SandboxStartup {
    const phases = [...this.#phases].sort((a, b) => a.startMs - b.startMs);
    return { totalMs: performance.now() - this.#origin, phases };
  }
}

/** e.g. "1834 ms: azurite 0-1020, ca 0-290, app 0-1200, emulators 1200-1240, …" (each phase's span in ms). */
export function describeStartup(startup: SandboxStartup): string {
  const spans = startup.phases.map(
    (phase) =>
      `${phase.name} ${String(Math.round(phase.startMs))}-${String(Math.round(phase.startMs + phase.durationMs))}`,
  );
  return `${String(Math.round(startup.totalMs))} ms: ${spans.join(", ")}`;
}
