// The durableClient input binding value (OrchestrationClientInputData) and the management links of an instance.
// The library sends every client call to `rpcBaseUrl`; createCheckStatusResponse builds its links from
// `managementUrls`, replacing the `id` placeholder and the origin with the incoming request's.

/** The placeholder the extension uses for the instance id in management URL templates. */
export const INSTANCE_ID_PLACEHOLDER = "INSTANCEID";

/** The Durable HTTP API's path on the host. */
export const DURABLE_API_PREFIX = "/runtime/webhooks/durabletask";

function webhookBase(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${DURABLE_API_PREFIX}`;
}

/** The public URLs' query: task hub, connection and, as on Azure, the extension's system key as `code`. */
function queryFor(taskHubName: string, webhookKey: string | undefined): string {
  const key = webhookKey === undefined ? "" : `&code=${encodeURIComponent(webhookKey)}`;
  return `taskHub=${encodeURIComponent(taskHubName)}&connection=Storage${key}`;
}

/** The links for one instance (`id` placeholder filled), as the start response and createCheckStatusResponse give. */
export function managementLinks(
  baseUrl: string,
  taskHubName: string,
  instanceId: string,
  webhookKey?: string,
): Record<string, string> {
  const instance = `${webhookBase(baseUrl)}/instances/${encodeURIComponent(instanceId)}`;
  const query = queryFor(taskHubName, webhookKey);
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/**
 * `rpcBaseUrl` is where the worker's client calls go: the extension's unauthenticated loopback endpoint. Default: the
 * public webhook (a host that checks no key).
 */
export function clientBindingData(
  baseUrl: string,
  taskHubName: string,
  options: { readonly webhookKey?: string; readonly rpcBaseUrl?: string } = {},
): Record<string, unknown> {
  const base = webhookBase(baseUrl);
  const query = queryFor(taskHubName, options.webhookKey);
  const templates = managementLinks(baseUrl, taskHubName, INSTANCE_ID_PLACEHOLDER, options.webhookKey);
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: { ...templates, id: INSTANCE_ID_PLACEHOLDER },
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl: options.rpcBaseUrl ?? `${base}/`,
    httpBaseUrl: "",
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: "00:01:40",
  };
}
