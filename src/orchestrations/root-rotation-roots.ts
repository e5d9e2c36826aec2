// The root registry's rotation activities (h-rootreg: src/activities/root-rotation.ts), as the rotation calls them:
// typed calls by the activity names of the plan's contract, with the rotation's retry.
import type { OrchestrationContext, RetryOptions, Task } from "durable-functions";

type Flow<T> = Generator<Task, T, unknown>;

export interface NewRoot {
  readonly name: string;
  readonly thumbprint: string;
  readonly notAfter: string;
}

export interface RootActivities {
  createNextRoot(input: { rotationId: string; actor: string }): Flow<NewRoot>;
  promoteRoot(input: { rotationId: string; name: string; actor: string }): Flow<unknown>;
  withdrawRoot(input: { rotationId: string; name: string; actor: string }): Flow<unknown>;
  restoreRoot(input: { rotationId: string; oldName: string; newName: string; actor: string }): Flow<unknown>;
  retireRoot(input: { rotationId: string; name: string; actor: string }): Flow<{ superseded: number }>;
  listUsersToReissue(input: {
    rootThumbprint: string;
    after?: string;
    limit: number;
  }): Flow<{ upns: string[]; next?: string }>;
}

export function rootActivities(context: OrchestrationContext, retry: RetryOptions): RootActivities {
  function call<O>(name: string) {
    return function* (input: object): Flow<O> {
      return (yield context.df.callActivityWithRetry(name, retry, input)) as O;
    };
  }
  return {
    createNextRoot: call<NewRoot>("createNextRoot"),
    promoteRoot: call<unknown>("promoteRoot"),
    withdrawRoot: call<unknown>("withdrawRoot"),
    restoreRoot: call<unknown>("restoreRoot"),
    retireRoot: call<{ superseded: number }>("retireRoot"),
    listUsersToReissue: call<{ upns: string[]; next?: string }>("listUsersToReissue"),
  };
}
