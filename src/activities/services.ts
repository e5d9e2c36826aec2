// The clients activities use, built once per process from the validated configuration.
import { getConfig } from "../config";
import type { Config } from "../config";
import { GatewayClient } from "../clients/gateway";
import { GraphClient } from "../clients/graph";
import { keyVaultClients } from "../clients/keyvault";
import type { KeyVaultClients } from "../clients/keyvault";
import { Ledger } from "../clients/ledger";
import { RootRegistry } from "../clients/root-registry";

export interface Services {
  readonly config: Config;
  readonly ledger: Ledger;
  readonly gateways: GatewayClient;
  readonly keyVault: KeyVaultClients;
  readonly graph: GraphClient;
  /** The managed roots and their states (<prefix>Roots). */
  readonly roots: RootRegistry;
}

let cached: { config: Config; services: Services } | undefined;

export function services(): Services {
  const config = getConfig();
  if (cached?.config !== config) {
    cached = {
      config,
      services: {
        config,
        ledger: Ledger.fromConfig(config),
        gateways: new GatewayClient(config, { pollIntervalMs: config.GATEWAY_POLL_INTERVAL_MS }),
        keyVault: keyVaultClients(config),
        graph: new GraphClient(config),
        roots: RootRegistry.fromConfig(config),
      },
    };
  }
  return cached.services;
}
