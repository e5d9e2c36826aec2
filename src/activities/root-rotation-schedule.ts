// Activity of expiryCheck: starts a root rotation by itself ROOT_ROTATION_BEFORE_EXPIRY_DAYS before the current root
// expires. Once per root: a rotation away from it that already ran (or runs, or was cancelled by an operator) is
// not started again by the schedule; one that failed is started again (it resumes).
import * as df from "durable-functions";
import { defineActivity } from "./define";
import { services } from "./services";
import { instanceStatus } from "../clients/durable-start";
import { getRootCa } from "../clients/key-vault-ca";
import { startRootRotation } from "../clients/root-rotation-start";
import { rotationDue, rotationInstanceId } from "../domain/rotation-run";

export const SCHEDULE_ACTOR = "system:schedule";

export type ScheduledRotation =
  { readonly due: false } | { readonly due: true; readonly requestId: string; readonly started: boolean };

export const startScheduledRotation = defineActivity<{ readonly now: string }, ScheduledRotation>(
  "startScheduledRotation",
  async ({ now }, context) => {
    const { config, keyVault, roots } = services();
    const root = await getRootCa(keyVault, { CA_ROOT_NAME: (await roots.current()).name });
    const at = new Date(now);
    if (root === undefined || !rotationDue(root.notAfter, at, config.ROOT_ROTATION_BEFORE_EXPIRY_DAYS)) {
      return { due: false };
    }
    const client = df.getClient(context);
    const first = await instanceStatus(client, rotationInstanceId(root.name, 1));
    if (first !== undefined && first !== "Failed") return { due: false };
    const started = await startRootRotation(
      client,
      {
        trigger: "schedule",
        actor: SCHEDULE_ACTOR,
        reason: `the root ${root.name} expires ${root.notAfter}, within ROOT_ROTATION_BEFORE_EXPIRY_DAYS (${String(config.ROOT_ROTATION_BEFORE_EXPIRY_DAYS)})`,
      },
      at,
    );
    return { due: true, requestId: started.requestId, started: started.started };
  },
  [df.input.durableClient()],
);
