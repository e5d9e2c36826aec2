// What `npm start` runs: func is not installed on these machines, so the decision is tested as a pure function.
import { constants } from "node:os";
import { chooseStartMode, exitCodeOf } from "../../dev/sandbox/start-mode";

describe("chooseStartMode", () => {
  it("runs the sandbox when func is not on PATH, silently", () => {
    expect(chooseStartMode({ forceSandbox: false, funcOnPath: false, localSettingsExists: false })).toEqual({
      kind: "sandbox",
    });
    expect(chooseStartMode({ forceSandbox: false, funcOnPath: false, localSettingsExists: true })).toEqual({
      kind: "sandbox",
    });
  });

  it("falls back to the sandbox with a one-line reason when func is installed but local.settings.json is missing", () => {
    const mode = chooseStartMode({ forceSandbox: false, funcOnPath: true, localSettingsExists: false });
    expect(mode.kind).toBe("sandbox");
    const note = mode.kind === "sandbox" ? (mode.note ?? "") : "";
    expect(note).toMatch(/local\.settings\.json/);
    expect(note).toMatch(/P2S_SANDBOX_FORCE=1/);
    expect(note).not.toContain("\n");
  });

  it("runs func start when func is installed and local.settings.json exists", () => {
    expect(chooseStartMode({ forceSandbox: false, funcOnPath: true, localSettingsExists: true })).toEqual({
      kind: "coreTools",
    });
  });

  it("always runs the sandbox, without a note, when P2S_SANDBOX_FORCE=1", () => {
    expect(chooseStartMode({ forceSandbox: true, funcOnPath: true, localSettingsExists: true })).toEqual({
      kind: "sandbox",
    });
    expect(chooseStartMode({ forceSandbox: true, funcOnPath: true, localSettingsExists: false })).toEqual({
      kind: "sandbox",
    });
  });
});

describe("exitCodeOf", () => {
  it("passes func's exit code on", () => {
    expect(exitCodeOf(0, null, constants.signals)).toBe(0);
    expect(exitCodeOf(3, null, constants.signals)).toBe(3);
  });

  it("reports a signal as a shell does (128 + its number)", () => {
    expect(exitCodeOf(null, "SIGINT", constants.signals)).toBe(130);
    expect(exitCodeOf(null, "SIGTERM", constants.signals)).toBe(143);
  });

  it("reports 1 when neither is known", () => {
    expect(exitCodeOf(null, null, constants.signals)).toBe(1);
  });
});
