// The Graph calls behind Entra events: the app's change notification subscriptions (list, create, renew,
// reauthorize) and delta query rounds (follow @odata.nextLink to the @odata.deltaLink; 410 means start over).
import { GraphError } from "./graph";
import type { GraphAnswer, GraphClient } from "./graph";

export interface GraphSubscription {
  readonly id: string;
  readonly resource: string;
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly expirationDateTime: string;
}

export interface NewSubscription {
  readonly resource: string;
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string;
  readonly clientState: string;
  readonly expirationDateTime: string;
}

function fail(answer: GraphAnswer, what: string): never {
  throw new GraphError(answer.status, answer.code, `Graph ${what} answered ${answer.status} ${answer.code ?? ""}`);
}

function subscriptionOf(body: unknown): GraphSubscription | undefined {
  const s = body as Partial<Record<keyof GraphSubscription, unknown>> | undefined;
  if (typeof s?.id !== "string" || typeof s.resource !== "string" || typeof s.expirationDateTime !== "string") {
    return undefined;
  }
  return {
    id: s.id,
    resource: s.resource,
    changeType: typeof s.changeType === "string" ? s.changeType : "",
    notificationUrl: typeof s.notificationUrl === "string" ? s.notificationUrl : "",
    expirationDateTime: s.expirationDateTime,
  };
}

/** The app's subscriptions and Graph's clock at the time of the answer. */
export async function listSubscriptions(
  graph: GraphClient,
): Promise<{ readonly subscriptions: GraphSubscription[]; readonly graphNow: Date | undefined }> {
  const answer = await graph.call("GET", "/subscriptions");
  if (answer.status !== 200) fail(answer, "GET subscriptions");
  const value = (answer.body as { value?: unknown } | undefined)?.value;
  const subscriptions = (Array.isArray(value) ? value : []).map(subscriptionOf).filter((s) => s !== undefined);
  return { subscriptions, graphNow: answer.graphNow };
}

export async function createSubscription(graph: GraphClient, input: NewSubscription): Promise<GraphSubscription> {
  const answer = await graph.call("POST", "/subscriptions", input);
  const created = answer.status === 201 ? subscriptionOf(answer.body) : undefined;
  if (created === undefined) fail(answer, `POST subscription on ${input.resource}`);
  return created;
}

export async function renewSubscription(graph: GraphClient, id: string, expirationDateTime: string): Promise<void> {
  const answer = await graph.call("PATCH", `/subscriptions/${encodeURIComponent(id)}`, { expirationDateTime });
  if (answer.status !== 200) fail(answer, `PATCH subscription ${id}`);
}

/** false when Graph no longer has the subscription (the next entraSubscriptions run makes a new one). */
export async function reauthorizeSubscription(graph: GraphClient, id: string): Promise<boolean> {
  const answer = await graph.call("POST", `/subscriptions/${encodeURIComponent(id)}/reauthorize`);
  if (answer.status === 404) return false;
  if (answer.status !== 200 && answer.status !== 204) fail(answer, `reauthorize subscription ${id}`);
  return true;
}

export type DeltaRound =
  | { readonly kind: "done"; readonly items: readonly Record<string, unknown>[]; readonly deltaLink: string }
  /** The token expired (410) or was refused: the caller starts a full round. */
  | { readonly kind: "expired"; readonly status: number };

/** Pages through one delta round from `start` (a first request or a stored deltaLink) to the next deltaLink. */
export async function deltaRound(graph: GraphClient, start: string, maxPages = 1000): Promise<DeltaRound> {
  const items: Record<string, unknown>[] = [];
  let link = start;
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await graph.call("GET", link);
    if (answer.status === 410 || (answer.status === 400 && page === 0 && start.includes("token="))) {
      return { kind: "expired", status: answer.status };
    }
    if (answer.status !== 200) fail(answer, "delta query");
    const body = answer.body as Record<string, unknown> | undefined;
    const value = body?.value;
    if (Array.isArray(value)) {
      for (const item of value)
        if (typeof item === "object" && item !== null) items.push(item as Record<string, unknown>);
    }
    const next = body?.["@odata.nextLink"];
    const delta = body?.["@odata.deltaLink"];
    if (typeof delta === "string") return { kind: "done", items, deltaLink: delta };
    if (typeof next !== "string") throw new GraphError(200, undefined, "delta page has neither nextLink nor deltaLink");
    link = next;
  }
  throw new GraphError(200, undefined, `delta round longer than ${maxPages} pages`);
}
