// Runs the hub's asynchronous work (episodes, activities, entity batches) and knows when none is left, so idle() can
// resolve. Work is found by polling the engines after every change rather than kept in a queue of its own, which keeps
// one source of truth: the records themselves.

export interface WorkItem {
  readonly description: string;
  readonly run: () => Promise<void>;
}

export class WorkScheduler {
  readonly #findWork: () => WorkItem[];
  readonly #log: (line: string) => void;
  #active = 0;
  #pumpQueued = false;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(findWork: () => WorkItem[], log: (line: string) => void) {
    this.#findWork = findWork;
    this.#log = log;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Starts one piece of work now (an activity invocation, say). Its failure is logged, never thrown. */
  run(item: WorkItem): void {
    if (this.#stopped) return;
    this.#active++;
    item
      .run()
      .catch((error: unknown) => {
        this.#log(
          `durable: ${item.description} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .finally(() => {
        this.#active--;
        this.requestPump();
      });
  }

  /** Looks for runnable work soon (after the current synchronous change has been committed). */
  requestPump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  /** Resolves once nothing is running and nothing is runnable. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.requestPump();
    });
  }

  /** Starts no more work and resolves once what is running has finished. */
  stop(): Promise<void> {
    this.#stopped = true;
    return this.idle();
  }

  #pump(): void {
    if (!this.#stopped) {
      for (const item of this.#findWork()) this.run(item);
    }
    if (this.#active === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
