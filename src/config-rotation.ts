// Settings of root rotation (issue 14, h-rotate): how long users have to collect the certificate reissued under the
// new root, when the schedule starts a rotation, and the pace of the rotation's waits and reissues.
import { z } from "zod";
import { intInRange } from "./config-parts";

export const rotationSettings = {
  ROOT_ROTATION_GRACE_DAYS: z.coerce
    .number()
    .min(0)
    .max(365)
    .default(14)
    .describe(
      "Days a root rotation waits, after it has reissued every active user's certificate under the new root, for the users to collect them before it retires the old root anyway (it retires it sooner once every reissued certificate has been collected). Fractions of a day are allowed.",
    ),
  ROOT_ROTATION_RETIRE_AT_PERCENT: intInRange(50, 100, 95).describe(
    "Revocations win over the grace period: while a root rotation waits for users to collect, it retires the old root at once when the fullest gateway's revocation list (the app's revocations plus the entries it does not own) reaches this percentage of the gateway's 300 entries. During that wait every active user holds two valid certificates, so each leaver or lost device adds two revocations; without this, revocations would be left off the gateway. Users who have not collected their reissued certificate by then can no longer connect with the old one and must collect the new one (a help-desk call for most).",
  ),
  ROOT_ROTATION_BEFORE_EXPIRY_DAYS: intInRange(0, 3650, 90).describe(
    "expiryCheck starts a root rotation by itself this many days before the current root expires (once; a running rotation is joined). 0 turns the scheduled rotation off.",
  ),
  ROOT_ROTATION_BATCH_SIZE: intInRange(1, 500, 20).describe(
    "Users a root rotation reissues at a time: the next batch starts once every certificate of this one has been issued, so Key Vault's pace holds and the rotation's history stays small.",
  ),
  ROOT_ROTATION_POLL_SECONDS: intInRange(1, 3600, 60).describe(
    "How often a root rotation checks what it waits for: the gateways trusting (or no longer having) a root, and a batch's certificates being issued.",
  ),
  ROOT_ROTATION_COLLECTION_CHECK_MINUTES: z.coerce
    .number()
    .min(0.001)
    .max(1440)
    .default(60)
    .describe("How often a root rotation, once it has reissued every user, checks whether they have all collected."),
  ROOT_ROTATION_GATEWAY_DEADLINE_HOURS: z.coerce
    .number()
    .min(0.001)
    .max(168)
    .default(24)
    .describe(
      "How long a root rotation waits for every gateway to trust the new root (or to have removed the old one) before it fails with a critical alert; started again, it resumes where it was.",
    ),
};
