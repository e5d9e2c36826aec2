// Entry point the Functions Node worker loads (package.json "main"): importing a module registers its functions.
import { app } from "@azure/functions";

app.setup({ enableHttpStream: false });

import "./functions/health";
