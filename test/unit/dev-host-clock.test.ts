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
  it("calls a callback once its time has come, and not after cancel", async () => {
    const clock = createRealClock();
    let cancelledRan = false;
    const cancel = clock.schedule(clock.now() + 5, () => {
      cancelledRan = true;
    });
    cancel();
    const firedAt = await new Promise<number>((resolve) => {
      const target = clock.now() + 10;
      clock.schedule(target, () => {
        resolve(Date.now() - target);
      });
    });
    expect(firedAt).toBeGreaterThanOrEqual(0);
    expect(cancelledRan).toBe(false);
  });

  it("reports a rejected callback to its error handler", async () => {
    const reported = new Promise<unknown>((resolve) => {
      const clock = createRealClock(resolve);
      clock.schedule(clock.now(), () => Promise.reject(new Error("async failure")));
    });
    await expect(reported).resolves.toThrow("async failure");
  });
});
