// Entry point the Functions Node worker loads (package.json "main"): importing a module registers its functions.
import { app } from "@azure/functions";

app.setup({ enableHttpStream: false });

import "./functions/health";
import "./functions/roots-http";
import "./functions/user-certificates-http";
import "./functions/user-pkcs12-http";
import "./functions/user-revocations-http";
import "./functions/requests-http";
import "./functions/ticket-requests-http";
import "./functions/me-certificates-http";
import "./functions/gateways-http";
import "./functions/gateway-reconcile";
import "./orchestrations/issue-certificate";
import "./orchestrations/offboard-user";
import "./orchestrations/gateway-writer";
import "./orchestrations/lifecycle-request";
import "./orchestrations/deliver-certificate";
import "./orchestrations/send-callback";
