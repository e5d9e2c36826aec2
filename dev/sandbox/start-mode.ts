// What `npm start` runs. The README promises that `npm ci && npm start` works offline when nothing else is set up,
// so Core Tools is used only when it is installed *and* the project has the local.settings.json it needs; otherwise
// the embedded sandbox runs, with a line saying why when func was found.

export interface StartFacts {
  /** P2S_SANDBOX_FORCE=1. */
  readonly forceSandbox: boolean;
  /** `func --version` succeeded. */
  readonly funcOnPath: boolean;
  /** local.settings.json exists in the working directory (where `func start` reads it). */
  readonly localSettingsExists: boolean;
}

export type StartMode = { readonly kind: "sandbox"; readonly note?: string } | { readonly kind: "coreTools" };

export function chooseStartMode(facts: StartFacts): StartMode {
  if (facts.forceSandbox || !facts.funcOnPath) return { kind: "sandbox" };
  if (!facts.localSettingsExists) {
    return {
      kind: "sandbox",
      note:
        "func is installed but there is no local.settings.json, so the offline sandbox runs instead " +
        "(copy local.settings.sample.json to local.settings.json to run func start; P2S_SANDBOX_FORCE=1 always runs the sandbox)",
    };
  }
  return { kind: "coreTools" };
}

/** The exit code `npm start` passes on from func: its own code, or 128 + the signal number as a shell reports it. */
export function exitCodeOf(
  code: number | null,
  signal: NodeJS.Signals | null,
  signals: Readonly<Record<string, number>>,
): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : signals[signal];
  return number === undefined ? 1 : 128 + number;
}
