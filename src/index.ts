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
import "./functions/hr-events";
import "./orchestrations/issue-certificate";
import "./orchestrations/offboard-user";
import "./orchestrations/gateway-writer";
import "./orchestrations/hr-termination";
import "./orchestrations/send-callback";
import "./functions/expiry-check";
import "./functions/alerts-http";
import "./orchestrations/expiry-check";
import "./orchestrations/lifecycle-request";
import "./orchestrations/deliver-certificate";
import "./functions/delivery-credential-http";
import "./functions/delivery-package-http";
import "./functions/entra-notifications-http";
import "./functions/entra-events";
import "./functions/entra-timers";
import "./orchestrations/entra-change";
import "./functions/gateway-events";
import "./functions/profile-refresh";
import "./functions/gateway-profile-http";
import "./orchestrations/profile-regenerator";
import "./functions/root-rotations-http";
import "./orchestrations/root-rotation";
