// Graph change notification subscriptions on the emulated directory: created only after the notification endpoint
// echoes a validation token (as Graph does for webhooks), kept until they expire, and told about every directory
// change they cover as a basic notification (no resource data, as for users and groups) POSTed to notificationUrl,
// or as a CloudEvent to the partner topic's destination for an "EventGrid:" notificationUrl. Lifecycle notifications
// (reauthorizationRequired) are sent on cue; a subscription that needs reauthorization delivers nothing until it is
// reauthorized or renewed. Notifications can be switched off: what changes meanwhile is lost, as a missed one is.
import { randomUUID } from "node:crypto";
import type { EmulatorClock } from "../framework";
import type { Directory, DirectoryChange } from "./directory";

/** Directory resources (users, groups) may live at most 41,760 minutes (29 days). */
export const DIRECTORY_SUBSCRIPTION_MAX_MINUTES = 41_760;
/** Graph waits this long for the validation answer. */
export const VALIDATION_TIMEOUT_MS = 10_000;
/** Graph expects a notification to be acknowledged within 3 s, else it counts as failed and is retried. */
export const DELIVERY_TIMEOUT_MS = 3_000;
/** The emulated tenant and the app registration the subscriptions belong to. */
export const EMULATOR_TENANT_ID = "00000000-0000-0000-0000-0000000e17a0";
export const EMULATOR_APP_ID = "00000000-0000-0000-0000-0000000a9901";

export interface Subscription {
  readonly id: string;
  readonly resource: string;
  readonly changeType: string;
  readonly clientState: string | null;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | null;
  readonly expirationDateTime: string;
  readonly createdAt: number;
  /** Set by a reauthorizationRequired lifecycle notification; cleared by reauthorize or a renewal. */
  readonly needsReauthorization: boolean;
}

/** One POST the emulator made to an app endpoint, for tests and the control route. */
export interface DeliveryRecord {
  readonly at: number;
  readonly kind: "validation" | "notification" | "lifecycle" | "cloudEvent";
  readonly url: string;
  readonly subscriptionId?: string;
  readonly status: number | undefined;
  readonly ms: number;
  readonly attempt: number;
  readonly error?: string;
}

export interface SubscriptionOptions {
  readonly clock: EmulatorClock;
  /** Delivery attempts per notification (Graph retries for hours; the emulator a few times, **guess**). */
  readonly deliveryAttempts?: number;
  /** Wait before the nth retry, real time (default 500 ms * 2^(n-1)). */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly log?: (line: string) => void;
}

export class SubscriptionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface EventGridDestination {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The resources a directory subscription may name (leading "/" optional), and what each covers. */
function covers(resource: string, change: DirectoryChange): boolean {
  const parts = resource.replace(/^\/+/, "").toLowerCase().split("/");
  const [set, id, sub] = parts;
  if (set === "users") return change.objectType === "user" && (id === undefined || id === change.id);
  if (set !== "groups" || change.objectType !== "group") return false;
  if (id === undefined) return true;
  if (id !== change.id) return false;
  return sub === undefined || change.kind === "memberAdded" || change.kind === "memberRemoved";
}

export function isDirectoryResource(resource: string): boolean {
  return (
    /^\/?(users|groups)(\/[0-9a-f-]{36})?$/i.test(resource) || /^\/?groups\/[0-9a-f-]{36}\/members$/i.test(resource)
  );
}

/** What Graph reports a change as: creation and soft delete of users arrive as updated (security groups hard-delete). */
function changeTypeOf(change: DirectoryChange): "updated" | "deleted" {
  return change.kind === "deleted" && change.objectType === "group" ? "deleted" : "updated";
}

export class SubscriptionStore {
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #deliveries: DeliveryRecord[] = [];
  readonly #clock: EmulatorClock;
  readonly #attempts: number;
  readonly #retryDelayMs: (attempt: number) => number;
  readonly #log: (line: string) => void;
  readonly #pending = new Set<Promise<void>>();
  readonly #batches = new Map<string, { readonly subscriptionId: string; readonly items: object[] }>();
  #notificationsEnabled = true;
  #eventGrid: EventGridDestination | undefined;
  #sequence = 0;

  constructor(directory: Directory, options: SubscriptionOptions) {
    this.#clock = options.clock;
    this.#attempts = options.deliveryAttempts ?? 4;
    this.#retryDelayMs = options.retryDelayMs ?? ((n) => 500 * 2 ** (n - 1));
    this.#log = options.log ?? (() => undefined);
    directory.onChange((change) => {
      this.#notify(change);
    });
  }

  get notificationsEnabled(): boolean {
    return this.#notificationsEnabled;
  }

  setNotificationsEnabled(enabled: boolean): void {
    this.#notificationsEnabled = enabled;
  }

  /** Where CloudEvents for "EventGrid:" subscriptions go (the partner topic's event subscription); undefined: none. */
  setEventGridDestination(destination: EventGridDestination | undefined): void {
    this.#eventGrid = destination;
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.#deliveries;
  }

  /** Resolves once every delivery under way has ended (tests). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** The live subscriptions (expired ones are gone, as Graph deletes them). */
  list(): Subscription[] {
    this.#prune();
    return [...this.#subscriptions.values()];
  }

  get(id: string): Subscription | undefined {
    this.#prune();
    return this.#subscriptions.get(id.toLowerCase());
  }

  async create(input: Omit<Subscription, "id" | "createdAt" | "needsReauthorization">): Promise<Subscription> {
    this.#checkExpiration(input.expirationDateTime);
    const id = randomUUID();
    if (!input.notificationUrl.startsWith("EventGrid:")) {
      await this.#validate(input.notificationUrl, id, "notificationUrl");
      if (input.lifecycleNotificationUrl !== null && input.lifecycleNotificationUrl !== input.notificationUrl) {
        await this.#validate(input.lifecycleNotificationUrl, id, "lifecycleNotificationUrl");
      }
    }
    const subscription: Subscription = { ...input, id, createdAt: this.#clock.now(), needsReauthorization: false };
    this.#subscriptions.set(id, subscription);
    return subscription;
  }

  /** Renews (a new expirationDateTime); a renewal also counts as reauthorization. */
  renew(id: string, expirationDateTime: string): Subscription {
    const existing = this.#require(id);
    this.#checkExpiration(expirationDateTime);
    const renewed = { ...existing, expirationDateTime, needsReauthorization: false };
    this.#subscriptions.set(existing.id, renewed);
    return renewed;
  }

  reauthorize(id: string): void {
    const existing = this.#require(id);
    this.#subscriptions.set(existing.id, { ...existing, needsReauthorization: false });
  }

  delete(id: string): boolean {
    this.#prune();
    return this.#subscriptions.delete(id.toLowerCase());
  }

  /** Sends a lifecycle notification now (Graph sends reauthorizationRequired before the access expires). */
  async sendLifecycle(id: string, lifecycleEvent: "reauthorizationRequired"): Promise<DeliveryRecord | undefined> {
    const subscription = this.#require(id);
    this.#subscriptions.set(subscription.id, { ...subscription, needsReauthorization: true });
    const url = subscription.lifecycleNotificationUrl;
    if (url === null) return undefined;
    const item = {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      tenantId: EMULATOR_TENANT_ID,
      clientState: subscription.clientState,
      lifecycleEvent,
    };
    if (url.startsWith("EventGrid:")) {
      return this.#sendCloudEvent(subscription, "Microsoft.Graph.SubscriptionReauthorizationRequired", item);
    }
    return this.#deliver("lifecycle", url, subscription.id, { value: [item] });
  }

  #require(id: string): Subscription {
    const found = this.get(id);
    if (found === undefined) {
      throw new SubscriptionError(404, "ResourceNotFound", `The object was not found. Subscription '${id}'.`);
    }
    return found;
  }

  #checkExpiration(expirationDateTime: string): void {
    const at = Date.parse(expirationDateTime);
    const now = this.#clock.now();
    if (Number.isNaN(at)) throw new SubscriptionError(400, "InvalidRequest", "expirationDateTime is not a date.");
    if (at <= now) {
      throw new SubscriptionError(400, "InvalidRequest", "Subscription expiration must be in the future.");
    }
    if (at > now + DIRECTORY_SUBSCRIPTION_MAX_MINUTES * 60_000) {
      throw new SubscriptionError(
        400,
        "InvalidRequest",
        `Subscription expiration can only be ${DIRECTORY_SUBSCRIPTION_MAX_MINUTES} minutes in the future.`,
      );
    }
  }

  #prune(): void {
    const now = this.#clock.now();
    for (const [id, s] of this.#subscriptions)
      if (Date.parse(s.expirationDateTime) <= now) this.#subscriptions.delete(id);
  }

  async #validate(url: string, subscriptionId: string, which: string): Promise<void> {
    // Graph's tokens hold spaces and punctuation: the endpoint must answer the decoded value.
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = new URL(url);
    target.searchParams.set("validationToken", token);
    const started = performance.now();
    let status: number | undefined;
    let ok = false;
    let error: string | undefined;
    try {
      const response = await fetch(target, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
        signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS),
      });
      status = response.status;
      const body = await response.text();
      const type = response.headers.get("content-type") ?? "";
      ok = status === 200 && type.toLowerCase().startsWith("text/plain") && body === token;
      if (!ok) error = `answered ${status} ${type} ${JSON.stringify(body.slice(0, 80))}`;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    this.#record({ kind: "validation", url, subscriptionId, status, started, attempt: 1, error });
    if (!ok) {
      throw new SubscriptionError(
        400,
        "ValidationError",
        `Subscription validation request failed. ${which} must respond with 200 OK to validation request (${error ?? ""}).`,
      );
    }
  }

  #notify(change: DirectoryChange): void {
    if (!this.#notificationsEnabled) return;
    for (const subscription of this.list()) {
      const changeType = changeTypeOf(change);
      if (!covers(subscription.resource, change)) continue;
      if (!subscription.changeType.split(",").includes(changeType)) continue;
      if (subscription.needsReauthorization) continue;
      const resource = `${change.objectType === "user" ? "Users" : "Groups"}/${change.id}`;
      const odataType = change.objectType === "user" ? "#Microsoft.Graph.User" : "#Microsoft.Graph.Group";
      const notification = {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        changeType,
        resource,
        resourceData: {
          "@odata.type": odataType,
          "@odata.id": resource,
          id: change.id,
          organizationId: EMULATOR_TENANT_ID,
        },
        clientState: subscription.clientState,
        tenantId: EMULATOR_TENANT_ID,
      };
      if (subscription.notificationUrl.startsWith("EventGrid:")) {
        const type = `Microsoft.Graph.${change.objectType === "user" ? "User" : "Group"}${changeType === "deleted" ? "Deleted" : "Updated"}`;
        const data = {
          ...notification,
          resourceData: {
            ...notification.resourceData,
            eventTime: new Date(this.#clock.now()).toISOString(),
            sequenceNumber: (this.#sequence += 1),
          },
        };
        this.#track(this.#sendCloudEvent(subscription, type, data));
      } else {
        this.#queue(subscription.notificationUrl, subscription.id, notification);
      }
    }
  }

  /**
   * Changes made in the same turn of the event loop go to an endpoint in one POST, several items in `value`, as Graph
   * batches (**guess** as to how it groups them: by endpoint, whatever the subscription).
   */
  #queue(url: string, subscriptionId: string, item: object): void {
    const batch = this.#batches.get(url);
    if (batch !== undefined) {
      batch.items.push(item);
      return;
    }
    this.#batches.set(url, { subscriptionId, items: [item] });
    const flushed = new Promise<void>((resolve) => {
      setImmediate(resolve);
    }).then(() => {
      const taken = this.#batches.get(url);
      this.#batches.delete(url);
      return taken === undefined
        ? undefined
        : this.#deliver("notification", url, taken.subscriptionId, { value: taken.items });
    });
    this.#track(flushed);
  }

  #track(delivery: Promise<unknown>): void {
    const tracked: Promise<void> = delivery.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  async #sendCloudEvent(subscription: Subscription, type: string, data: object): Promise<DeliveryRecord | undefined> {
    const destination = this.#eventGrid;
    // A partner topic nobody activated or subscribed to drops its events.
    if (destination === undefined) return undefined;
    const event = {
      specversion: "1.0",
      id: randomUUID(),
      source: `/tenants/${EMULATOR_TENANT_ID}/applications/${EMULATOR_APP_ID}`,
      type,
      subject: (data as { resource?: string }).resource ?? `Subscriptions/${subscription.id}`,
      time: new Date(this.#clock.now()).toISOString(),
      datacontenttype: "application/json",
      data,
    };
    return this.#deliver("cloudEvent", destination.url, subscription.id, event, {
      "content-type": "application/cloudevents+json; charset=utf-8",
      "aeg-event-type": "Notification",
      ...destination.headers,
    });
  }

  /** POSTs with retries: anything but a 2xx within DELIVERY_TIMEOUT_MS is a failure, retried with backoff. */
  async #deliver(
    kind: DeliveryRecord["kind"],
    url: string,
    subscriptionId: string,
    body: unknown,
    headers: Readonly<Record<string, string>> = { "content-type": "application/json; charset=utf-8" },
  ): Promise<DeliveryRecord> {
    let last: DeliveryRecord | undefined;
    for (let attempt = 1; attempt <= this.#attempts; attempt += 1) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs(attempt - 1)));
      const started = performance.now();
      let status: number | undefined;
      let error: string | undefined;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
      last = this.#record({ kind, url, subscriptionId, status, started, attempt, error });
      if (status !== undefined && status >= 200 && status < 300) return last;
      this.#log(`graph: ${kind} to ${url} attempt ${attempt} failed: ${status ?? error ?? "?"}`);
    }
    return last as DeliveryRecord;
  }

  #record(entry: {
    kind: DeliveryRecord["kind"];
    url: string;
    subscriptionId: string;
    status: number | undefined;
    started: number;
    attempt: number;
    error: string | undefined;
  }): DeliveryRecord {
    const record: DeliveryRecord = {
      at: this.#clock.now(),
      kind: entry.kind,
      url: entry.url,
      subscriptionId: entry.subscriptionId,
      status: entry.status,
      ms: Math.round(performance.now() - entry.started),
      attempt: entry.attempt,
      ...(entry.error === undefined ? {} : { error: entry.error }),
    };
    this.#deliveries.push(record);
    return record;
  }
}
