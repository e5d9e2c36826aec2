// The dev host's clocks: the virtual one runs due callbacks in time order as a test advances it.
import { createRealClock, createVirtualClock } from "../../dev/host/clock";

const START = Date.UTC(2030, 0, 1);

describe("virtual clock", () => {
  it("runs callbacks due within an advance in time order, with now() at each callback's time", async () => {
    const clock = createVirtualClock(START);
    const seen: [string, number][] = [];
    clock.schedule(START + 300, () => seen.push(["c", clock.now() - START]));
    clock.schedule(START + 100, () => seen.push(["a", clock.now() - START]));
    clock.schedule(START + 100, () => seen.push(["b", clock.now() - START]));
    clock.schedule(START + 1000, () => seen.push(["late", clock.now() - START]));
    await clock.advance(500);
    expect(seen).toEqual([
      ["a", 100],
      ["b", 100],
      ["c", 300],
    ]);
    expect(clock.now()).toBe(START + 500);
    expect(clock.pending()).toBe(1);
  });

  it("awaits an async callback before the next and runs callbacks scheduled inside the window", async () => {
    const clock = createVirtualClock(START);
    const seen: string[] = [];
    clock.schedule(START + 10, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push("first finished");
      clock.schedule(clock.now() + 20, () => seen.push("follow-up"));
      clock.schedule(clock.now() + 5000, () => seen.push("outside"));
    });
    clock.schedule(START + 20, () => seen.push("second"));
    await clock.advance(100);
    expect(seen).toEqual(["first finished", "second", "follow-up"]);
  });

  it("does not run cancelled callbacks", async () => {
    const clock = createVirtualClock(START);
    const seen: string[] = [];
    const cancel = clock.schedule(START + 10, () => seen.push("cancelled"));
    clock.schedule(START + 10, () => seen.push("kept"));
    cancel();
    await clock.advance(10);
    expect(seen).toEqual(["kept"]);
  });

  it("runs a callback due now without an advance", async () => {
    const clock = createVirtualClock(START);
    const ran = new Promise<number>((resolve) => {
      clock.schedule(START, () => {
        resolve(clock.now());
      });
    });
    await expect(ran).resolves.toBe(START);
  });

  it("rejects the advance when a callback fails, after running the others", async () => {
    const clock = createVirtualClock(START);
    const seen: string[] = [];
    clock.schedule(START + 1, () => {
      throw new Error("callback broke");
    });
    clock.schedule(START + 2, () => seen.push("still ran"));
    await expect(clock.advance(5)).rejects.toThrow("callback broke");
    expect(seen).toEqual(["still ran"]);
  });

  it("refuses to go backwards", async () => {
    const clock = createVirtualClock(START);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });
});

describe("real clock", () => {
  // Driven by jest's fake timers and Date, so each fire time is exact: the clock never fires before its time, and a
  // wait longer than setTimeout allows is chained.
  afterEach(() => {
    jest.useRealTimers();
  });

  it("calls a callback exactly at its time, and not after cancel", () => {
    jest.useFakeTimers({ now: START });
    const clock = createRealClock();
    const fired: number[] = [];
    const cancel = clock.schedule(START + 5, () => fired.push(-1));
    clock.schedule(START + 10, () => fired.push(Date.now()));
    cancel();
    jest.advanceTimersByTime(9);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([START + 10]);
    jest.advanceTimersByTime(1_000);
    expect(fired).toEqual([START + 10]);
  });

  it("waits again when its timer fires early (the system clock was set back), firing at its time", () => {
    jest.useFakeTimers({ now: START });
    const clock = createRealClock();
    const fired: number[] = [];
    clock.schedule(START + 100, () => fired.push(Date.now()));
    // The wall clock steps back 40 ms: the timer armed for 100 ms ends at START + 60.
    jest.setSystemTime(START - 40);
    jest.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    expect(Date.now()).toBe(START + 60);
    jest.advanceTimersByTime(39);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([START + 100]);
  });

  it("chains waits longer than setTimeout allows (about 24.8 days)", () => {
    jest.useFakeTimers({ now: START });
    const clock = createRealClock();
    const fired: number[] = [];
    const thirtyDays = 30 * 24 * 60 * 60 * 1000;
    clock.schedule(START + thirtyDays, () => fired.push(Date.now()));
    jest.advanceTimersByTime(thirtyDays - 1);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([START + thirtyDays]);
  });

  it("reports a rejected callback to its error handler", async () => {
    const reported = new Promise<unknown>((resolve) => {
      const clock = createRealClock(resolve);
      clock.schedule(clock.now(), () => Promise.reject(new Error("async failure")));
    });
    await expect(reported).resolves.toThrow("async failure");
  });
});
