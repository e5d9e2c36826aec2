// Certificate routes: create, the pending operation and merge, get/list/versions, properties and policy.
import { z } from "zod";
import { jsonResponse, route } from "../framework";
import type { EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";
import { certificateBundle, certificateItem, operationBundle } from "./bundles";
import type { VersionRef } from "./certificate-store";
import {
  attributesSchema,
  bundleContext,
  charge,
  decodeBase64,
  includePending,
  pagedList,
  parseBody,
  tagsSchema,
  vaultHandler,
} from "./http-support";
import type { VaultContext } from "./http-support";
import { parseWirePolicy, policyToWire } from "./policy";
import { currentVersion } from "./records";
import { throttleKeySize } from "./throttle-model";

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

function bundle(request: EmulatorRequest<unknown>, context: VaultContext, ref: VersionRef): unknown {
  return certificateBundle(bundleContext(request, context), ref.record, ref.version);
}

export function certificateRoutes(context: VaultContext): EmulatorRoute[] {
  const other = { pool: "other" } as const;
  return [
    route({
      method: "POST",
      path: "/certificates/{name}/create",
      operation: "certificates.create",
      handler: vaultHandler(context, async (request) => {
        const body = parseBody(createSchema, request.body, "body");
        const policy = body.policy === undefined || body.policy === null ? undefined : parseWirePolicy(body.policy);
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
          enabled: body.attributes?.enabled ?? undefined,
          tags: body.tags ?? undefined,
        });
        return jsonResponse(202, operationBundle(bundleContext(request, context), record, operation), {
          Location: `${request.baseUrl}/certificates/${record.name}/pending?api-version=${request.apiVersion ?? ""}`,
          "Retry-After": "10",
        });
      }),
    }),
    route({
      method: "GET",
      path: "/certificates/{name}/pending",
      operation: "certificates.getOperation",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const { record, operation } = context.store.operation(request.params.name);
        return jsonResponse(200, operationBundle(bundleContext(request, context), record, operation));
      }),
    }),
    route({
      method: "PATCH",
      path: "/certificates/{name}/pending",
      operation: "certificates.updateOperation",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const body = parseBody(operationUpdateSchema, request.body, "cancellation_requested");
        const operation = context.store.cancelOperation(request.params.name, body.cancellation_requested);
        const record = context.store.record(request.params.name);
        return jsonResponse(200, operationBundle(bundleContext(request, context), record, operation));
      }),
    }),
    route({
      method: "DELETE",
      path: "/certificates/{name}/pending",
      operation: "certificates.deleteOperation",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const record = context.store.record(request.params.name);
        const operation = context.store.deleteOperation(request.params.name);
        return jsonResponse(200, operationBundle(bundleContext(request, context), record, operation));
      }),
    }),
    route({
      method: "POST",
      path: "/certificates/{name}/pending/merge",
      operation: "certificates.merge",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const body = parseBody(mergeSchema, request.body, "x5c");
        const ref = context.store.merge(request.params.name, mergeChain(body.x5c), {
          enabled: body.attributes?.enabled ?? undefined,
          tags: body.tags ?? undefined,
        });
        return jsonResponse(201, bundle(request, context, ref));
      }),
    }),
    route({
      method: "GET",
      path: "/certificates/{name}/policy",
      operation: "certificates.getPolicy",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const record = context.store.record(request.params.name);
        return jsonResponse(200, policyToWire(record.policy, `${request.baseUrl}/certificates/${record.name}/policy`));
      }),
    }),
    route({
      method: "PATCH",
      path: "/certificates/{name}/policy",
      operation: "certificates.updatePolicy",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const record = context.store.updatePolicy(request.params.name, parseWirePolicy(request.body ?? {}));
        return jsonResponse(200, policyToWire(record.policy, `${request.baseUrl}/certificates/${record.name}/policy`));
      }),
    }),
    route({
      method: "GET",
      path: "/certificates/{name}/versions",
      operation: "certificates.listVersions",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const record = context.store.record(request.params.name);
        const items = record.versions.map((version) =>
          certificateItem(bundleContext(request, context), record, version, true),
        );
        return pagedList(request, items);
      }),
    }),
    route({
      method: "GET",
      path: "/certificates",
      operation: "certificates.list",
      handler: vaultHandler(context, (request) => {
        charge(context, other);
        const items = context.store.list(includePending(request)).flatMap((record) => {
          const version = currentVersion(record);
          return version === undefined
            ? []
            : [certificateItem(bundleContext(request, context), record, version, false)];
        });
        return pagedList(request, items);
      }),
    }),
    route({
      method: "GET",
      path: "/certificates/{name}",
      operation: "certificates.get",
      handler: vaultHandler(context, (request) => getCertificate(request, context, request.params.name, "")),
    }),
    route({
      method: "GET",
      path: "/certificates/{name}/{version}",
      operation: "certificates.get",
      handler: vaultHandler(context, (request) =>
        getCertificate(request, context, request.params.name, request.params.version),
      ),
    }),
    route({
      method: "PATCH",
      path: "/certificates/{name}",
      operation: "certificates.update",
      handler: vaultHandler(context, (request) => updateCertificate(request, context, request.params.name, "")),
    }),
    route({
      method: "PATCH",
      path: "/certificates/{name}/{version}",
      operation: "certificates.update",
      handler: vaultHandler(context, (request) =>
        updateCertificate(request, context, request.params.name, request.params.version),
      ),
    }),
  ];
}

function getCertificate(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
): EmulatorResponse {
  charge(context, { pool: "other" });
  return jsonResponse(200, bundle(request, context, context.store.version(name, version)));
}

function updateCertificate(
  request: EmulatorRequest<unknown>,
  context: VaultContext,
  name: string,
  version: string,
): EmulatorResponse {
  charge(context, { pool: "other" });
  const body = parseBody(updateSchema, request.body, "body");
  const ref = context.store.update(name, version, {
    enabled: body.attributes?.enabled ?? undefined,
    tags: body.tags ?? undefined,
    policy: body.policy === undefined || body.policy === null ? undefined : parseWirePolicy(body.policy),
  });
  return jsonResponse(200, bundle(request, context, ref));
}
