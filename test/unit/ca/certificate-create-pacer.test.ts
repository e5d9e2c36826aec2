import { CertificateCreatePacer } from "../../../src/clients/certificate-create-pacer";
import type { PacerClock } from "../../../src/clients/certificate-create-pacer";

/** Time moves only when the pacer sleeps: each sleep jumps straight to its end. */
function jumpingClock(): PacerClock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

describe("CertificateCreatePacer", () => {
  it("lets `limit` creates start at once, then one more each time the oldest leaves the window (+2%)", async () => {
    const clock = jumpingClock();
    const pacer = new CertificateCreatePacer(3, 10_000, clock);
    const startedAt: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () =>
        pacer.run(() => {
          startedAt.push(clock.now() - 1_000_000);
          return Promise.resolve();
        }),
      ),
    );
    expect(startedAt).toEqual([0, 0, 0, 10_200, 10_200, 10_200, 20_400]);
    // No window of 10 s (plus the margin) ever holds more than 3 starts.
    for (const at of startedAt) {
      expect(startedAt.filter((other) => other >= at && other < at + 10_200).length).toBeLessThanOrEqual(3);
    }
  });

  it("waits for creates still in flight in a full window, and counts each from its answer", async () => {
    let now = 0;
    const sleeps: number[] = [];
    const clock: PacerClock = {
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    };
    const pacer = new CertificateCreatePacer(1, 1_000, clock);
    let answer: () => void = () => undefined;
    const first = pacer.run(
      () =>
        new Promise<void>((resolve) => {
          answer = resolve;
        }),
    );
    let secondAt: number | undefined;
    const second = pacer.run(() => {
      secondAt = now;
      return Promise.resolve();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondAt).toBeUndefined();
    expect(sleeps).toEqual([]);
    // The first create is answered 400 ms after it was sent: it may have reached the vault that late.
    now = 400;
    answer();
    await Promise.all([first, second]);
    expect(secondAt).toBe(400 + 1_020);
  });

  it("counts a create from its own answer, not from the status reads the caller makes after it", async () => {
    let now = 0;
    const clock: PacerClock = {
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    };
    const pacer = new CertificateCreatePacer(1, 1_000, clock);
    let finish: () => void = () => undefined;
    const first = pacer.run(
      (answered) =>
        new Promise<void>((resolve) => {
          // The vault answers the create at 100 ms; the caller's status reads end at 900 ms.
          now = 100;
          answered();
          finish = resolve;
        }),
    );
    let secondAt: number | undefined;
    const second = pacer.run(() => {
      secondAt = now;
      return Promise.resolve();
    });
    await new Promise((resolve) => setImmediate(resolve));
    now = 900;
    finish();
    await Promise.all([first, second]);
    // From the answer at 100 ms plus the window and its margin; counted from 900 ms it would start at 1,920.
    expect(secondAt).toBe(100 + 1_020);
  });

  it("starts creates in the order they asked", async () => {
    const pacer = new CertificateCreatePacer(2, 1_000, jumpingClock());
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        pacer.run(() => {
          order.push(n);
          return Promise.resolve(n);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("returns the create's result and passes its failure on, still counting it against the budget", async () => {
    const clock = jumpingClock();
    const pacer = new CertificateCreatePacer(1, 5_000, clock);
    await expect(pacer.run(() => Promise.reject(new Error("409 Conflict")))).rejects.toThrow("409 Conflict");
    await expect(pacer.run(() => Promise.resolve("made"))).resolves.toBe("made");
    expect(clock.sleeps).toEqual([5_100]);
  });

  it("refuses a limit below 1 or a window of 0", () => {
    expect(() => new CertificateCreatePacer(0, 10_000)).toThrow(/positive integer/);
    expect(() => new CertificateCreatePacer(2, 0)).toThrow(/window/);
  });
});
