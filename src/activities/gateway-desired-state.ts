// Activity: computes what every gateway must hold right now (the revocation index, the managed roots).
import { defineActivity } from "./define";
import { services } from "./services";
import { loadDesiredGatewayState } from "../clients/desired-gateway-state";
import type { DesiredGatewayState } from "../clients/desired-gateway-state";

export const computeDesiredGatewayState = defineActivity<Record<string, never>, DesiredGatewayState>(
  "computeDesiredGatewayState",
  () => {
    const { config, ledger, keyVault, roots } = services();
    return loadDesiredGatewayState(config, { ledger, keyVault, roots }, new Date());
  },
);
