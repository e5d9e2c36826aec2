// Activities of the deliverCertificate orchestration. prepareDeliveryPackage is the only place the passphrase
// exists: made here, used to encrypt the PKCS#12, stored as a Key Vault secret, and dropped; it never goes back to the
// orchestration, into a log, the ledger or the blob's metadata.
import { exportUserPkcs12 } from "../clients/user-pkcs12";
import { deletePackage, uploadPackage } from "../clients/delivery-blobs";
import { readPassphrase, removePassphrase, storePassphrase } from "../clients/delivery-vault";
import { deliveryBlobName, deliveryExpiry, deliverySecretName } from "../domain/delivery";
import { generatePassphrase } from "../domain/passphrase";
import { assertUpn, upnKey } from "../domain/upn";
import { defineActivity } from "./define";
import { deliveryServices } from "./delivery-services";

interface Named {
  readonly requestId: string;
  readonly upn: string;
  readonly certificateName: string;
  readonly thumbprint: string;
}

/** When a delivery starting now (the orchestration's time) expires: DELIVERY_LINK_HOURS later. */
export const planDelivery = defineActivity<{ startedAt: string }, { linkExpiresAt: string }>(
  "planDelivery",
  ({ startedAt }) => {
    const { config } = deliveryServices();
    return Promise.resolve({
      linkExpiresAt: deliveryExpiry(new Date(startedAt), config.DELIVERY_LINK_HOURS).toISOString(),
    });
  },
);

/**
 * Builds the PKCS#12 of an active certificate the ledger lists for this user, under a fresh passphrase kept only as a
 * Key Vault secret expiring with the delivery, and uploads it to the private container. The secret is written first
 * and a repeat (a retry, or the same work item delivered twice while the delivery goes on) reuses it, so the blob is
 * always encrypted under the passphrase the credential endpoint will read.
 */
export const prepareDeliveryPackage = defineActivity<Named & { linkExpiresAt: string }, { notAfter: string }>(
  "prepareDeliveryPackage",
  async (input) => {
    const { config, ledger, keyVault, linkStorage, roots } = deliveryServices();
    const userKey = upnKey(assertUpn(input.upn));
    const record = await ledger.getCertificate(userKey, input.certificateName);
    if (record?.thumbprint !== input.thumbprint) {
      throw new Error(`certificate ${input.certificateName} of ${userKey} is not listed as ${input.thumbprint}`);
    }
    if (record.status !== "active") throw new Error(`certificate ${input.certificateName} is ${record.status}`);
    if (record.notAfter === undefined) throw new Error(`certificate ${input.certificateName} has no notAfter`);

    const secretName = deliverySecretName(input.requestId);
    let passphrase = await readPassphrase(keyVault.secrets, secretName);
    if (passphrase === undefined) {
      passphrase = generatePassphrase();
      await storePassphrase(keyVault.secrets, secretName, passphrase, new Date(input.linkExpiresAt), input.requestId);
    }
    const pfx = await exportUserPkcs12(keyVault, roots, input.certificateName, passphrase, config.PFX_ENCRYPTION, {
      thumbprint: input.thumbprint,
      upnKey: userKey,
    });
    try {
      await uploadPackage(linkStorage, config.DELIVERY_CONTAINER, deliveryBlobName(input.requestId), pfx);
    } finally {
      pfx.fill(0);
    }
    await ledger.appendAudit({
      id: `${input.requestId}:delivery:prepared`,
      at: new Date(),
      actor: "system:delivery",
      action: "delivery.prepared",
      subject: userKey,
      reason: "certificate package ready for its user",
      source: "delivery",
      requestId: input.requestId,
      details: { thumbprint: input.thumbprint, linkExpiresAt: input.linkExpiresAt, encryption: config.PFX_ENCRYPTION },
    });
    return { notAfter: record.notAfter.toISOString() };
  },
);

/** Records the ready delivery (state ready), which the credential endpoint looks up. */
export const openDelivery = defineActivity<
  Named & { notAfter: string; linkExpiresAt: string; instanceId: string },
  { opened: true }
>("openDelivery", async (input) => {
  await deliveryServices().deliveries.open({
    requestId: input.requestId,
    instanceId: input.instanceId,
    upn: upnKey(assertUpn(input.upn)),
    certificateName: input.certificateName,
    thumbprint: input.thumbprint,
    notAfter: new Date(input.notAfter),
    linkExpiresAt: new Date(input.linkExpiresAt),
  });
  return { opened: true };
});

/**
 * Removes the package and the passphrase secret (deleted and purged) and closes the record, whatever state it is in;
 * answers whether the passphrase was collected and the package downloaded, as the record says.
 */
export const closeDelivery = defineActivity<{ requestId: string }, { collected: boolean; downloaded: boolean }>(
  "closeDelivery",
  async ({ requestId }) => {
    const { config, ledger, keyVault, linkStorage, deliveries } = deliveryServices();
    await deletePackage(linkStorage, config.DELIVERY_CONTAINER, deliveryBlobName(requestId));
    const secret = await removePassphrase(keyVault.secrets, deliverySecretName(requestId));
    // Closed by a conditional write; a collection racing it either lands first (and is reported) or fails on the ETag.
    for (let attempt = 0; ; attempt += 1) {
      const record = await deliveries.get(requestId);
      if (record === undefined) return { collected: false, downloaded: false };
      const collected = record.collectedAt !== undefined;
      const downloaded = record.downloadedAt !== undefined;
      if (record.state === "closed") return { collected, downloaded };
      if (await deliveries.transition(record, { state: "closed", closedAt: new Date() })) {
        await ledger.appendAudit({
          id: `${requestId}:delivery:closed`,
          at: new Date(),
          actor: "system:delivery",
          action: "delivery.closed",
          subject: record.upn,
          reason: collected ? "delivery finished; package and passphrase removed" : "delivery expired uncollected",
          source: "delivery",
          requestId,
          details: { thumbprint: record.thumbprint, collected, downloaded, passphraseSecret: secret },
        });
        return { collected, downloaded };
      }
      if (attempt >= 5) throw new Error(`delivery ${requestId} kept changing while being closed`);
    }
  },
);
