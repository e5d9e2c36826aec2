// Settings of certificate delivery (issue 11): where the password-protected PKCS#12 waits for its user, and for how
// long its link and one-time passphrase stay valid.
import { z } from "zod";
import { httpsUrl, intInRange, optionalString } from "./config-parts";

/** Azure's ceiling for the issue: a delivery link lives at most 72 hours. */
export const MAX_DELIVERY_LINK_HOURS = 72;

export const deliverySettings = {
  DELIVERY_CONTAINER: z
    .string()
    .trim()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a blob container name")
    .default("p2s-deliveries")
    .describe(
      "Private blob container (no public access) that holds each delivered PKCS#12 until its first download or its expiry, in the account of DELIVERY_BLOB_SERVICE_URI.",
    ),
  DELIVERY_LINK_HOURS: intInRange(1, MAX_DELIVERY_LINK_HOURS, MAX_DELIVERY_LINK_HOURS).describe(
    "How long a delivery waits for its user: the one-time passphrase (a Key Vault secret with this expiry), the download link and the PKCS#12 blob are removed after it (1-72 hours).",
  ),
  DELIVERY_BLOB_SERVICE_URI: optionalString
    .pipe(httpsUrl.optional())
    .describe(
      "Blob service URI (https) of the storage account whose files are shared by read-only user-delegation SAS links (delivered PKCS#12 files). The app reaches it with its identity (Storage Blob Data Contributor on the container, plus Storage Blob Delegator), never an account key. Default: AzureWebJobsStorage__blobServiceUri.",
    ),
};
