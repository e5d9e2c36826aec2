// Reads a RADIUS gateway's secret from Key Vault (GATEWAY_RADIUS_SECRET_NAME) and puts it into the object to PUT.
// The secret exists only in this activity's memory and in the PUT body: never in a return value, a log line, an alert,
// an error message, durable history or the ledger.
import type { VirtualNetworkGateway } from "@azure/arm-network";
import { RestError } from "@azure/core-rest-pipeline";
import type { SecretClient } from "@azure/keyvault-secrets";
import type { Config } from "../config";
import { needsRadiusSecret, radiusSecretName, radiusServerAddresses, withRadiusSecret } from "../domain/radius-config";

/** The gateway has RADIUS and its secret cannot be supplied: writing it would lose the secret, so it is not written. */
export class RadiusSecretMissingError extends Error {
  override readonly name = "RadiusSecretMissingError";
}

/**
 * The gateway object ready to PUT: as read when it has no RADIUS configuration, else with the secret from Key Vault.
 * Throws RadiusSecretMissingError (setting unset, secret absent, disabled or empty); other Key Vault failures
 * propagate as they are (transient: the activity is retried).
 */
export async function gatewayWithRadiusSecret(
  config: Pick<Config, "GATEWAY_RADIUS_SECRET_NAME">,
  secrets: Pick<SecretClient, "getSecret">,
  gatewayName: string,
  gateway: VirtualNetworkGateway,
): Promise<VirtualNetworkGateway> {
  if (!needsRadiusSecret(gateway)) return gateway;
  const servers = radiusServerAddresses(gateway).join(", ") || "(unnamed)";
  const why = `gateway ${gatewayName} is configured with RADIUS (servers ${servers}); a gateway read never returns the RADIUS secret and every write replaces the whole object, so it is not written without the secret`;
  const template = config.GATEWAY_RADIUS_SECRET_NAME;
  if (template === undefined) {
    throw new RadiusSecretMissingError(
      `${why}: set GATEWAY_RADIUS_SECRET_NAME to the Key Vault secret that holds it. Revocations stay pending.`,
    );
  }
  const name = radiusSecretName(template, gatewayName);
  let value: string | undefined;
  try {
    value = (await secrets.getSecret(name)).value;
  } catch (error) {
    // Answers no retry can change: absent, disabled or not allowed, or a name Key Vault refuses.
    const states: Record<number, string> = {
      400: "is not a name Key Vault accepts",
      403: "cannot be read (disabled or access denied)",
      404: "was not found",
    };
    const state = error instanceof RestError ? states[error.statusCode ?? 0] : undefined;
    if (state !== undefined) {
      throw new RadiusSecretMissingError(
        `${why}: the Key Vault secret '${name}' named by GATEWAY_RADIUS_SECRET_NAME ${state}. Revocations stay pending.`,
      );
    }
    throw error;
  }
  if (value === undefined || value === "") {
    throw new RadiusSecretMissingError(
      `${why}: the Key Vault secret '${name}' named by GATEWAY_RADIUS_SECRET_NAME is empty. Revocations stay pending.`,
    );
  }
  return withRadiusSecret(gateway, value);
}
