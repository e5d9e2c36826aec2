// Certificate routes: create, the pending operation and merge, get/list/versions, properties and policy.
import { z } from "zod";
import { jsonResponse } from "../framework";
import type { EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";
import { certificateBundle, certificateItem, operationBundle } from "./bundles";
import type { VersionRef } from "./certificate-store";
import {
  attributeChanges,
  attributesSchema,
  bundleContext,
  charge,
  decodeBase64,
  includePending,
  pagedList,
  parseBody,
  tagsSchema,
} from "./http-support";
import type { VaultContext } from "./http-support";
import { parseWirePolicy, policyToWire } from "./policy";
import type { WirePolicy } from "./policy";
import type { CertificateOperation, CertificateRecord } from "./records";
import { throttleKeySize } from "./throttle-model";
import { OTHER_POOL, vaultRoute, versionedRoutes } from "./vault-routes";
import type { VersionHandler } from "./vault-routes";

const createSchema = z.object({ policy: z.unknown().optional(), attributes: attributesSchema, tags: tagsSchema });
const updateSchema = createSchema;
const operationUpdateSchema = z.object({ cancellation_requested: z.boolean() });
const mergeSchema = z.object({ x5c: z.array(z.string()).min(1), attributes: attributesSchema, tags: tagsSchema });

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g;

/** x5c items are base64 DER; an item that decodes to PEM text may hold several certificates, as the portal allows. */
function mergeChain(x5c: readonly string[]): Buffer[] {
  return x5c.flatMap((item, index) => {
    const der = decodeBase64(item, `x5c[${index}]`);
    const text = der.toString("latin1");
    if (!text.includes("-----BEGIN CERTIFICATE-----")) return [der];
    return [...text.matchAll(PEM_CERTIFICATE)].map((match) => decodeBase64(match[1] ?? "", `x5c[${index}]`));
  });
}

/** A body's policy, or undefined when it sends none (null included). */
function optionalPolicy(policy: unknown): WirePolicy | undefined {
  return policy === undefined || policy === null ? undefined : parseWirePolicy(policy);
}

function bundle(request: EmulatorRequest<unknown>, context: VaultContext, ref: VersionRef): unknown {
  return certificateBundle(bundleContext(request, context), ref.record, ref.version);
}

function operationResponse(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  record: CertificateRecord,
  operation: CertificateOperation,
): EmulatorResponse {
  return jsonResponse(200, operationBundle(bundleContext(request, context), record, operation));
}

function policyResponse(request: EmulatorRequest<unknown>, record: CertificateRecord): EmulatorResponse {
  return jsonResponse(200, policyToWire(record.policy, `${request.baseUrl}/certificates/${record.name}/policy`));
}

export function certificateRoutes(context: VaultContext): EmulatorRoute[] {
  return [
    vaultRoute(context, {
      method: "POST",
      path: "/certificates/{name}/create",
      operation: "certificates.create",
      handler: async (request) => {
        const body = parseBody(createSchema, request.body, "body");
        const policy = optionalPolicy(body.policy);
        const existing = context.store.find(request.params.name)?.policy;
        const keySize = policy?.key_props?.key_size ?? existing?.keySize ?? 2048;
        const keyType = policy?.key_props?.kty ?? existing?.keyType ?? "RSA";
        charge(context, {
          pool: "keyCreate",
          keySize: throttleKeySize(keySize),
          hsm: keyType.toUpperCase().endsWith("-HSM"),
        });
        const { record, operation } = await context.store.create(request.params.name, {
          policy,
          ...attributeChanges(body),
        });
        return jsonResponse(202, operationBundle(bundleContext(request, context), record, operation), {
          Location: `${request.baseUrl}/certificates/${record.name}/pending?api-version=${request.apiVersion ?? ""}`,
          "Retry-After": "10",
        });
      },
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/certificates/{name}/pending",
      operation: "certificates.getOperation",
      charge: OTHER_POOL,
      handler: (request) => {
        const { record, operation } = context.store.readOperation(request.params.name);
        return operationResponse(request, context, record, operation);
      },
    }),
    vaultRoute(context, {
      method: "PATCH",
      path: "/certificates/{name}/pending",
      operation: "certificates.updateOperation",
      charge: OTHER_POOL,
      handler: (request) => {
        const body = parseBody(operationUpdateSchema, request.body, "cancellation_requested");
        const operation = context.store.cancelOperation(request.params.name, body.cancellation_requested);
        return operationResponse(request, context, context.store.record(request.params.name), operation);
      },
    }),
    vaultRoute(context, {
      method: "DELETE",
      path: "/certificates/{name}/pending",
      operation: "certificates.deleteOperation",
      charge: OTHER_POOL,
      handler: (request) => {
        const record = context.store.record(request.params.name);
        return operationResponse(request, context, record, context.store.deleteOperation(request.params.name));
      },
    }),
    vaultRoute(context, {
      method: "POST",
      path: "/certificates/{name}/pending/merge",
      operation: "certificates.merge",
      charge: OTHER_POOL,
      handler: (request) => {
        const body = parseBody(mergeSchema, request.body, "x5c");
        const ref = context.store.merge(request.params.name, mergeChain(body.x5c), attributeChanges(body));
        return jsonResponse(201, bundle(request, context, ref));
      },
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/certificates/{name}/policy",
      operation: "certificates.getPolicy",
      charge: OTHER_POOL,
      handler: (request) => policyResponse(request, context.store.record(request.params.name)),
    }),
    vaultRoute(context, {
      method: "PATCH",
      path: "/certificates/{name}/policy",
      operation: "certificates.updatePolicy",
      charge: OTHER_POOL,
      handler: (request) =>
        policyResponse(request, context.store.updatePolicy(request.params.name, parseWirePolicy(request.body ?? {}))),
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/certificates/{name}/versions",
      operation: "certificates.listVersions",
      charge: OTHER_POOL,
      handler: (request) => {
        const record = context.store.record(request.params.name);
        const items = record.versions.map((version) =>
          certificateItem(bundleContext(request, context), record, version, true),
        );
        return pagedList(request, items);
      },
    }),
    vaultRoute(context, {
      method: "GET",
      path: "/certificates",
      operation: "certificates.list",
      charge: OTHER_POOL,
      handler: (request) => {
        const items = context.store.list(includePending(request)).flatMap((record) => {
          const version = context.store.latest(record);
          return version === undefined
            ? []
            : [certificateItem(bundleContext(request, context), record, version, false)];
        });
        return pagedList(request, items);
      },
    }),
    ...versionedRoutes(
      context,
      {
        method: "GET",
        latestPath: "/certificates/{name}",
        versionPath: "/certificates/{name}/{version}",
        operation: "certificates.get",
        charge: OTHER_POOL,
      },
      getCertificate,
    ),
    ...versionedRoutes(
      context,
      {
        method: "PATCH",
        latestPath: "/certificates/{name}",
        versionPath: "/certificates/{name}/{version}",
        operation: "certificates.update",
        charge: OTHER_POOL,
      },
      updateCertificate,
    ),
  ];
}

const getCertificate: VersionHandler = (request, context, name, version) =>
  jsonResponse(200, bundle(request, context, context.store.version(name, version)));

const updateCertificate: VersionHandler = (request, context, name, version) => {
  const body = parseBody(updateSchema, request.body, "body");
  const ref = context.store.update(name, version, { ...attributeChanges(body), policy: optionalPolicy(body.policy) });
  return jsonResponse(200, bundle(request, context, ref));
};
