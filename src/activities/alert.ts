// Activity: raises an operator alert.
import { defineActivity } from "./define";
import { services } from "./services";
import { sendAlert } from "../clients/alerts";
import type { Alert } from "../clients/alerts";

export const raiseAlert = defineActivity<Alert, "sent" | "logged">("raiseAlert", (alert, context) =>
  sendAlert(services().config, alert, (line) => {
    context.error(line);
  }),
);
