// Soft delete: DELETE /certificates/{name} moves the certificate (with its key and secret) to the deleted
// collection, from which it can be read, listed, recovered or purged.
import { emptyResponse, jsonResponse, route } from "../framework";
import type { EmulatorRoute } from "../framework";
import { certificateBundle, deletedCertificateBundle, deletedCertificateItem } from "./bundles";
import { bundleContext, charge, includePending, pagedList, vaultHandler } from "./http-support";
import type { VaultContext } from "./http-support";
import { currentVersion } from "./records";
import { notFound } from "./vault-error";

export function deletedCertificateRoutes(context: VaultContext): EmulatorRoute[] {
  const other = { pool: "other" } as const;
  return [
    route({
      method: "DELETE",
      path: "/certificates/{name}",
      operation: "certificates.delete",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const deleted = context.store.delete(request.params.name);
        return jsonResponse(200, deletedCertificateBundle(bundleContext(request, context), deleted));
      }),
    }),
    route({
      method: "GET",
      path: "/deletedcertificates",
      operation: "certificates.listDeleted",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const items = context.store
          .listDeleted(includePending(request))
          .map((deleted) => deletedCertificateItem(bundleContext(request, context), deleted));
        return pagedList(request, items);
      }),
    }),
    route({
      method: "GET",
      path: "/deletedcertificates/{name}",
      operation: "certificates.getDeleted",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const deleted = context.store.deleted(request.params.name);
        return jsonResponse(200, deletedCertificateBundle(bundleContext(request, context), deleted));
      }),
    }),
    route({
      method: "DELETE",
      path: "/deletedcertificates/{name}",
      operation: "certificates.purge",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        context.store.purge(request.params.name);
        return emptyResponse(204);
      }),
    }),
    route({
      method: "POST",
      path: "/deletedcertificates/{name}/recover",
      operation: "certificates.recover",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const record = context.store.recover(request.params.name);
        const version = currentVersion(record);
        if (version === undefined) throw notFound("Certificate", request.params.name);
        return jsonResponse(200, certificateBundle(bundleContext(request, context), record, version));
      }),
    }),
  ];
}
