// Soft delete: DELETE /certificates/{name} moves the certificate (with its key and secret) to the deleted
// collection, from which it can be read, listed, recovered or purged.
import { emptyResponse, jsonResponse } from "../framework";
import type { EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";
import { certificateBundle, deletedCertificateBundle, deletedCertificateItem } from "./bundles";
import { bundleContext, includePending, pagedList } from "./http-support";
import type { VaultContext } from "./http-support";
import { currentVersion } from "./records";
import type { DeletedCertificate } from "./records";
import { notFound } from "./vault-error";
import { OTHER_POOL, vaultRoute } from "./vault-routes";

function deletedResponse(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  deleted: DeletedCertificate,
): EmulatorResponse {
  return jsonResponse(200, deletedCertificateBundle(bundleContext(request, context), deleted));
}

export function deletedCertificateRoutes(context: VaultContext): EmulatorRoute[] {
  return [
    vaultRoute(context, {
      method: "DELETE",
      path: "/certificates/{name}",
      operation: "certificates.delete",
      charge: OTHER_POOL,
      handler: (request) => deletedResponse(request, context, context.store.delete(request.params.name)),
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/deletedcertificates",
      operation: "certificates.listDeleted",
      charge: OTHER_POOL,
      handler: (request) => {
        const items = context.store
          .listDeleted(includePending(request))
          .map((deleted) => deletedCertificateItem(bundleContext(request, context), deleted));
        return pagedList(request, items);
      },
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/deletedcertificates/{name}",
      operation: "certificates.getDeleted",
      charge: OTHER_POOL,
      handler: (request) => deletedResponse(request, context, context.store.deleted(request.params.name)),
    }),
    vaultRoute(context, {
      method: "DELETE",
      path: "/deletedcertificates/{name}",
      operation: "certificates.purge",
      charge: OTHER_POOL,
      handler: (request) => {
        context.store.purge(request.params.name);
        return emptyResponse(204);
      },
    }),
    vaultRoute(context, {
      method: "POST",
      path: "/deletedcertificates/{name}/recover",
      operation: "certificates.recover",
      charge: OTHER_POOL,
      handler: (request) => {
        const record = context.store.recover(request.params.name);
        const version = currentVersion(record);
        if (version === undefined) throw notFound("Certificate", request.params.name);
        return jsonResponse(200, certificateBundle(bundleContext(request, context), record, version));
      },
    }),
  ];
}
