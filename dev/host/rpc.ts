// The slice of the Functions RPC protocol that @azure/functions v4 reads and writes through @azure/functions-core,
// typed only as far as the dev host uses it. Field names follow the worker's protobuf JSON (camelCase).

export interface RpcNullableString {
  readonly value?: string | null;
}

export interface RpcHttpCookie {
  readonly name?: string | null;
  readonly value?: string | null;
  readonly domain?: RpcNullableString | null;
  readonly path?: RpcNullableString | null;
  readonly expires?: { readonly value?: { readonly seconds?: number | null } | null } | null;
  readonly secure?: { readonly value?: boolean | null } | null;
  readonly httpOnly?: { readonly value?: boolean | null } | null;
  readonly sameSite?: string | null;
  readonly maxAge?: { readonly value?: number | null } | null;
}

export interface RpcHttp {
  readonly method?: string | null;
  readonly url?: string | null;
  readonly headers?: Readonly<Record<string, string>> | null;
  readonly body?: RpcTypedData | null;
  readonly params?: Readonly<Record<string, string>> | null;
  readonly query?: Readonly<Record<string, string>> | null;
  readonly statusCode?: string | null;
  readonly enableContentNegotiation?: boolean | null;
  readonly identities?: readonly unknown[] | null;
  readonly cookies?: readonly RpcHttpCookie[] | null;
}

export interface RpcTypedData {
  readonly string?: string | null;
  readonly json?: string | null;
  readonly bytes?: Uint8Array | null;
  readonly stream?: Uint8Array | null;
  readonly http?: RpcHttp | null;
  readonly int?: number | null;
  readonly double?: number | null;
  readonly collectionBytes?: { readonly bytes?: readonly Uint8Array[] | null } | null;
  readonly collectionString?: { readonly string?: readonly string[] | null } | null;
  readonly collectionDouble?: { readonly double?: readonly number[] | null } | null;
  readonly collectionSint64?: { readonly sint64?: readonly number[] | null } | null;
}

export interface RpcParameterBinding {
  readonly name: string;
  readonly data?: RpcTypedData | null;
}

export interface RpcRetryContext {
  readonly retryCount: number;
  readonly maxRetryCount: number;
  readonly exception?: { readonly message?: string; readonly source?: string; readonly stackTrace?: string };
}

export interface RpcTraceContext {
  readonly traceParent: string;
  readonly traceState: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface RpcInvocationRequest {
  readonly invocationId: string;
  readonly functionId: string;
  readonly inputData: readonly RpcParameterBinding[];
  readonly triggerMetadata: Readonly<Record<string, RpcTypedData>>;
  readonly retryContext?: RpcRetryContext;
  readonly traceContext: RpcTraceContext;
}

export interface RpcInvocationResponse {
  readonly invocationId?: string;
  readonly outputData?: readonly RpcParameterBinding[] | null;
  readonly returnValue?: RpcTypedData | null;
}

/** Converts a JS value into the TypedData the host would send: strings as string, bytes as bytes, the rest as json. */
export function toTypedData(value: unknown): RpcTypedData | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return { string: value };
  if (value instanceof Uint8Array) return { bytes: value };
  if (value instanceof ArrayBuffer) return { bytes: new Uint8Array(value) };
  return { json: JSON.stringify(value) };
}

/**
 * Converts TypedData back to a JS value as the host reads a function's results: json parsed, strings kept as strings,
 * bytes as Buffers, http kept as the RPC http object.
 */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (data === null || data === undefined) return undefined;
  if (isSet(data.string)) return data.string;
  if (isSet(data.json)) return JSON.parse(data.json) as unknown;
  if (isSet(data.bytes)) return Buffer.from(data.bytes);
  if (isSet(data.stream)) return Buffer.from(data.stream);
  if (isSet(data.http)) return data.http;
  if (isSet(data.int)) return data.int;
  if (isSet(data.double)) return data.double;
  if (isSet(data.collectionBytes?.bytes)) return data.collectionBytes.bytes.map((bytes) => Buffer.from(bytes));
  if (isSet(data.collectionString?.string)) return [...data.collectionString.string];
  if (isSet(data.collectionDouble?.double)) return [...data.collectionDouble.double];
  if (isSet(data.collectionSint64?.sint64)) return [...data.collectionSint64.sint64];
  return undefined;
}

/** The raw bytes of a TypedData used as an HTTP body. */
export function typedDataBytes(data: RpcTypedData | null | undefined): Buffer {
  if (data === null || data === undefined) return Buffer.alloc(0);
  if (isSet(data.bytes)) return Buffer.from(data.bytes);
  if (isSet(data.stream)) return Buffer.from(data.stream);
  if (isSet(data.string)) return Buffer.from(data.string, "utf8");
  if (isSet(data.json)) return Buffer.from(data.json, "utf8");
  if (isSet(data.int)) return Buffer.from(String(data.int), "utf8");
  if (isSet(data.double)) return Buffer.from(String(data.double), "utf8");
  return Buffer.alloc(0);
}

function isSet<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}
