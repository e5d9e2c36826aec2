// The gateway writer on the step-by-step driver, with the context members it uses besides activities: a durable clock
// that a fired timer moves on, timers and event waits the test can see, the custom status and continueAsNew recorded.
import type { OrchestrationHandler } from "durable-functions";
import { OrchestrationDriver } from "./orchestration-driver";
import type { ScheduledCall } from "./orchestration-driver";

export const START = Date.UTC(2030, 0, 2, 12, 0, 0);
export const INSTANCE_ID = "gateway-writer-gw-west";
/** What the stand-in newGuid returns for the writer's generation id. */
export const GENERATION = `guid(${INSTANCE_ID}:generation)`;

interface Timer {
  readonly timerAt: Date;
}
interface EventWait {
  readonly eventName: string;
}

export class WriterHarness {
  now = START;
  readonly statuses: Record<string, unknown>[] = [];
  readonly continued: unknown[] = [];
  readonly flow: OrchestrationDriver;

  constructor(orchestrator: OrchestrationHandler, input: unknown) {
    const clock = (): Date => new Date(this.now);
    this.flow = new OrchestrationDriver(orchestrator, input, {
      instanceId: INSTANCE_ID,
      get currentUtcDateTime(): Date {
        return clock();
      },
      newGuid: (name: string): string => `guid(${name})`,
      setCustomStatus: (status: Record<string, unknown>): void => {
        this.statuses.push(status);
      },
      createTimer: (timerAt: Date): Timer => ({ timerAt }),
      waitForExternalEvent: (eventName: string): EventWait => ({ eventName }),
      continueAsNew: (next: unknown): void => {
        this.continued.push(next);
      },
    });
  }

  get call(): ScheduledCall {
    return this.flow.call;
  }

  get status(): Record<string, unknown> | undefined {
    return this.statuses.at(-1);
  }

  /** Answers the activity the writer waits on, after checking its name. */
  answer(functionName: string, result: unknown): this {
    expect(this.flow.call.functionName).toBe(functionName);
    this.flow.answer(result);
    return this;
  }

  /** Fails the activity the writer waits on (out of retries), after checking its name. */
  fail(functionName: string, error: Error): this {
    expect(this.flow.call.functionName).toBe(functionName);
    this.flow.fail(error);
    return this;
  }

  /** How long from now the timer the writer waits on fires. */
  get timerMs(): number {
    const timer = this.flow.pending as Partial<Timer>;
    if (timer.timerAt === undefined) throw new Error(`the writer waits on ${JSON.stringify(this.flow.pending)}`);
    return timer.timerAt.getTime() - this.now;
  }

  /** Fires the timer the writer waits on: the durable clock moves to its time. */
  fireTimer(): this {
    this.now += this.timerMs;
    this.flow.answer(undefined);
    return this;
  }

  /** The event the writer waits for. */
  get eventName(): string {
    const wait = this.flow.pending as Partial<EventWait>;
    if (wait.eventName === undefined) throw new Error(`the writer waits on ${JSON.stringify(this.flow.pending)}`);
    return wait.eventName;
  }

  raise(value: unknown): this {
    expect(this.eventName).toBe("changesPending");
    this.flow.answer(value);
    return this;
  }
}
