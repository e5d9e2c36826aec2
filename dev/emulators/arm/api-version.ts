// The api-version gate. virtualNetworkGateway.json is modelled as of Microsoft.Network 2024-05-01, so older versions
// (whose shapes may differ) are refused the way ARM refuses unknown versions: 400 before anything else happens.
import { badRequest } from "./arm-error";

export const MIN_API_VERSION = "2024-05-01";
const STABLE_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/** Returns the api-version when it is acceptable, else throws an ARM-shaped 400. */
export function checkApiVersion(apiVersion: string | null | undefined): string {
  if (apiVersion === null || apiVersion === undefined || apiVersion === "") {
    throw badRequest(
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    );
  }
  // ISO dates compare correctly as strings once the format is fixed.
  if (!STABLE_VERSION.test(apiVersion) || apiVersion < MIN_API_VERSION) {
    throw badRequest(
      "InvalidApiVersionParameter",
      `The api-version '${apiVersion}' is invalid for Microsoft.Network/virtualNetworkGateways in this emulator. ` +
        `Supported: stable versions from '${MIN_API_VERSION}' on.`,
    );
  }
  return apiVersion;
}
