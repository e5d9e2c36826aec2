// The delivery's own clients, built once per configuration: its table, and the link storage (token credential, https)
// that holds the packages and signs their read-only links. The shared ones (config, ledger, Key Vault) come from
// services().
import type { BlobServiceClient } from "@azure/storage-blob";
import { linkBlobService } from "../clients/blob-links";
import { DeliveryTable } from "../clients/delivery-records";
import { tableClient } from "../clients/storage";
import { services } from "./services";
import type { Services } from "./services";

export interface DeliveryServices extends Services {
  readonly deliveries: DeliveryTable;
  readonly linkStorage: BlobServiceClient;
}

let cached: { base: Services; value: DeliveryServices } | undefined;

export function deliveryServices(): DeliveryServices {
  const base = services();
  if (cached?.base !== base) {
    const { config } = base;
    cached = {
      base,
      value: {
        ...base,
        deliveries: new DeliveryTable(tableClient(config, `${config.LEDGER_TABLE_PREFIX}Deliveries`)),
        linkStorage: linkBlobService(config),
      },
    };
  }
  return cached.value;
}
