// Typed activity handles: an orchestration calls `yield* run(activity, input)` and gets the activity's output type,
// never a string name (a rename is then a compile error, not a runtime failure).
import * as df from "durable-functions";
import type { FunctionInput, InvocationContext } from "@azure/functions";
import type { RegisteredActivityTask, RetryOptions, Task } from "durable-functions";

export interface TypedActivity<I, O> {
  readonly name: string;
  readonly task: (input: I) => RegisteredActivityTask;
  /** Phantom: carries the output type to `run`. */
  readonly output?: O;
}

export function defineActivity<I, O>(
  name: string,
  handler: (input: I, context: InvocationContext) => Promise<O>,
  extraInputs: FunctionInput[] = [],
): TypedActivity<I, O> {
  const registered = df.app.activity(name, {
    extraInputs,
    handler: (input: unknown, context: InvocationContext) => handler(input as I, context),
  });
  return { name, task: (input: I) => registered(input) };
}

/** Schedules an activity from an orchestrator and returns its typed result. */
export function* run<I, O>(activity: TypedActivity<I, O>, input: I, retry?: RetryOptions): Generator<Task, O, unknown> {
  const task = activity.task(input);
  const result: unknown = yield retry === undefined ? task : task.withRetry(retry);
  return result as O;
}
