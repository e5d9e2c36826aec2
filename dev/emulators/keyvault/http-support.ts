// Shared request handling of the Key Vault routes: api-version check, Key Vault error envelopes, throttling,
// request bodies, base64 fields and paged lists.
import { z } from "zod";
import { jsonResponse } from "../framework";
import type { EmulatorRequest, EmulatorResponse } from "../framework";
import type { BundleContext } from "./bundles";
import type { CertificateStore } from "./certificate-store";
import type { KeyVaultThrottle, ThrottleCharge } from "./throttle-model";
import { VaultError, badParameter } from "./vault-error";

export interface VaultContext {
  readonly store: CertificateStore;
  readonly throttle: KeyVaultThrottle;
}

/** 7.x (the SDKs up to 2025) and dated versions (from 2025-07-01), previews included. */
const API_VERSION = /^(7\.\d+|\d{4}-\d{2}-\d{2})(-preview(\.\d+)?)?$/;

export type VaultHandler<Params> = (
  request: EmulatorRequest<Params>,
  context: VaultContext,
) => EmulatorResponse | Promise<EmulatorResponse>;

/** Runs a handler with the checks every Key Vault request gets, turning VaultErrors into responses. */
export function vaultHandler<Params>(
  context: VaultContext,
  handler: VaultHandler<Params>,
): (request: EmulatorRequest<Params>) => Promise<EmulatorResponse> {
  return async (request) => {
    try {
      const version = request.apiVersion ?? "";
      if (!API_VERSION.test(version)) {
        throw badParameter(`The specified version (${version}) is not recognized. Consider using a supported version.`);
      }
      return await handler(request, context);
    } catch (error) {
      if (error instanceof VaultError) return jsonResponse(error.status, error.toBody(), error.headers);
      throw error;
    }
  };
}

export function charge(context: VaultContext, cost: ThrottleCharge): void {
  const verdict = context.throttle.charge(cost);
  if (verdict.admitted) return;
  // Key Vault's own text (vcsjones/AzureSignTool#219); the budget is named after it for whoever reads the log.
  throw new VaultError(
    429,
    "Throttled",
    `Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached (${verdict.pool}: ${verdict.limit} per ${context.throttle.limits().windowMs} ms per vault).`,
    undefined,
    context.throttle.retryAfter ? { "Retry-After": String(verdict.retryAfterSeconds) } : undefined,
  );
}

export function bundleContext(request: EmulatorRequest<unknown>, context: VaultContext): BundleContext {
  return { baseUrl: request.baseUrl, recoverableDays: context.store.retentionDays };
}

/** Parses a JSON body with a schema, answering 400 BadParameter with the first offending property. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? what : issue.path.map(String).join(".");
  throw badParameter(`Property ${where} has invalid value.`);
}

export const attributesSchema = z.object({ enabled: z.boolean().nullish() }).nullish();
export const tagsSchema = z.record(z.string(), z.string()).nullish();

interface AttributeFields {
  readonly attributes?: z.infer<typeof attributesSchema>;
  readonly tags?: z.infer<typeof tagsSchema>;
}

/** The enabled flag and tags a create, merge or update body sets; undefined where the body leaves them alone. */
export function attributeChanges(body: AttributeFields): {
  readonly enabled: boolean | undefined;
  readonly tags: Record<string, string> | undefined;
} {
  return { enabled: body.attributes?.enabled ?? undefined, tags: body.tags ?? undefined };
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes base64 or base64url (Key Vault sends either depending on the field), refusing anything else. */
export function decodeBase64(value: string, property: string): Buffer {
  const compact = value.replace(/\s+/g, "");
  if (!BASE64.test(compact)) throw badParameter(`Property ${property} is not valid base64.`);
  return Buffer.from(compact, "base64");
}

const MAX_PAGE = 25;

/** One page of `items` and the nextLink to the rest, Key Vault style (maxresults up to 25, then $skiptoken). */
export function pagedList(request: EmulatorRequest<unknown>, items: readonly unknown[]): EmulatorResponse {
  const requested = request.query.get("maxresults");
  const size = requested === null ? MAX_PAGE : Number(requested);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
    throw badParameter(`Property maxresults has invalid value: use 1 to ${MAX_PAGE}.`);
  }
  const skip = Number(request.query.get("$skiptoken") ?? "0");
  const start = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const value = items.slice(start, start + size);
  let nextLink: string | null = null;
  if (start + size < items.length) {
    const next = new URLSearchParams(request.query);
    next.set("$skiptoken", String(start + size));
    next.set("maxresults", String(size));
    nextLink = `${request.baseUrl}${request.path}?${next.toString()}`;
  }
  return jsonResponse(200, { value, nextLink });
}

export function includePending(request: EmulatorRequest<unknown>): boolean {
  return request.query.get("includePending")?.toLowerCase() === "true";
}
