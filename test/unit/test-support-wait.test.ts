// The tests' bounded waits (test/support/wait.ts): a wait that is never satisfied fails at its deadline, naming what
// it waited for, instead of running into jest's timeout. Driven by jest's fake timers: no real waiting.
import { idle, waitFor, within, WaitTimeoutError } from "../support/wait";

beforeEach(() => {
  jest.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
});

afterEach(() => {
  jest.useRealTimers();
});

describe("waitFor", () => {
  it("returns the predicate's first truthy value", async () => {
    let calls = 0;
    const found = waitFor(() => (++calls >= 3 ? { calls } : undefined), { message: "the third call" });
    await jest.advanceTimersByTimeAsync(20);
    await expect(found).resolves.toEqual({ calls: 3 });
  });

  it("fails at its deadline, naming what it waited for", async () => {
    const never = waitFor(() => false, { timeoutMs: 100, message: "the writer to settle" });
    const outcome = expect(never).rejects.toThrow(
      new WaitTimeoutError("timed out after 100 ms waiting for the writer to settle"),
    );
    await jest.advanceTimersByTimeAsync(90);
    await jest.advanceTimersByTimeAsync(30);
    await outcome;
  });
});

describe("within", () => {
  it("passes a settled promise through, and fails one that outlives the deadline", async () => {
    await expect(within(Promise.resolve(7), { message: "seven" })).resolves.toBe(7);
    const hung = within(new Promise(() => undefined), { timeoutMs: 50, message: "the gate to be reached" });
    const outcome = expect(hung).rejects.toThrow("timed out after 50 ms waiting for the gate to be reached");
    await jest.advanceTimersByTimeAsync(50);
    await outcome;
  });

  it("bounds idle() of a host that never goes idle", async () => {
    const host = { idle: () => new Promise<void>(() => undefined) };
    const outcome = expect(idle(host, "the sandbox host", 1_000)).rejects.toThrow(
      "timed out after 1000 ms waiting for the sandbox host to go idle",
    );
    await jest.advanceTimersByTimeAsync(1_000);
    await outcome;
  });
});
