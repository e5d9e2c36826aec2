// Settings of HR events (issue 12): the Storage queue the HR system writes to, and its service URI for identity-based
// storage.
import { z } from "zod";
import { optionalString } from "./config-parts";

export const hrSettings = {
  HR_EVENTS_QUEUE: z
    .string()
    .trim()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,47}[a-z0-9]$/, "must be a storage queue name of 3-49 characters")
    .default("hr-events")
    .describe(
      "Storage queue of HR events (hire, termination, termination-rescinded, rehire), read by hrEvents; invalid and repeatedly failing messages go to <queue>-poison. The Functions host reads it as %HR_EVENTS_QUEUE%, so it must be set as an app setting.",
    ),
  AzureWebJobsStorage__queueServiceUri: optionalString.describe(
    "Identity-based storage: the queue service URI, for the HR events queue trigger and its poison queue (used when AzureWebJobsStorage is not set).",
  ),
};
