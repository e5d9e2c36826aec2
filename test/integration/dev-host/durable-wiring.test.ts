// The host's side of the durable seam: it refuses durable apps without a backend, hands the backend its invoker,
// clock, base URL, system key and worker endpoint, fills durableClient inputs with the backend's binding data, and
// routes the durable task API: the public webhook with its key, the worker's loopback endpoint without one.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi,
  { virtual: true },
);

import type { DurableBackend, DurableBackendOptions, HostHttpRequest } from "../../../dev/host/contracts";
import { startHost } from "../../../dev/host/host";

const loadApp = (): Promise<unknown> => import("../../fixtures/host-app/durable-app");

/** A recording stand-in for the durable backend: only the host's wiring is under test here. */
class RecordingBackend implements DurableBackend {
  readonly requests: HostHttpRequest[] = [];
  stopped = false;
  constructor(readonly options: DurableBackendOptions) {}

  clientBindingData(): Record<string, unknown> {
    const base = `${this.options.baseUrl()}/runtime/webhooks/durabletask`;
    return {
      taskHubName: this.options.taskHubName,
      creationUrls: {},
      managementUrls: { id: "INSTANCEID", statusQueryGetUri: `${base}/instances/INSTANCEID?taskHub=x` },
      baseUrl: base,
      requiredQueryStringParameters: "",
      rpcBaseUrl: this.options.rpcBaseUrl,
    };
  }

  handleHttp(request: HostHttpRequest): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    this.requests.push(request);
    const instanceId = /instances\/([^/?]+)/.exec(request.url)?.[1] ?? "none";
    const status = {
      name: "noopOrchestrator",
      instanceId,
      createdTime: "2030-01-01T00:00:00Z",
      lastUpdatedTime: "2030-01-01T00:00:01Z",
      input: null,
      output: `output of ${instanceId}`,
      runtimeStatus: "Completed",
    };
    return Promise.resolve({
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(status),
    });
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

it("refuses to start an app with durable functions when no durable backend is given", async () => {
  await expect(startHost({ appEntry: loadApp, port: 0, log: () => undefined })).rejects.toThrow(
    /needs Durable Functions, but startHost got no createDurableBackend/,
  );
});

describe("with a durable backend", () => {
  let backend: RecordingBackend | undefined;
  const start = (): ReturnType<typeof startHost> =>
    startHost({
      appEntry: loadApp,
      port: 0,
      log: () => undefined,
      taskHubName: "WiringHub",
      createDurableBackend: (options) => (backend = new RecordingBackend(options)),
    });

  it("gives the backend the invoker, the clock, the task hub and the host's URL, and stops it", async () => {
    const host = await start();
    try {
      expect(host.durable).toBe(backend);
      expect(backend?.options.invoker).toBe(host.invoker);
      expect(backend?.options.clock).toBe(host.clock);
      expect(backend?.options.taskHubName).toBe("WiringHub");
      expect(backend?.options.baseUrl()).toBe(host.url);
      expect(backend?.options.webhookKey).toBe(host.keys.durableTaskKey);
      // The worker's endpoint is a loopback listener of its own, as the extension's (not the public port).
      const rpc = new URL(backend?.options.rpcBaseUrl ?? "");
      expect(rpc.hostname).toBe("127.0.0.1");
      expect(rpc.port).not.toBe(String(host.port));
      expect(rpc.pathname).toBe("/durabletask/");
    } finally {
      await host.stop();
    }
    expect(backend?.stopped).toBe(true);
  });

  it("fills durableClient inputs so the real durable client reaches the backend through the host", async () => {
    delete process.env.WEBSITE_HOSTNAME;
    const host = await start();
    try {
      const response = await fetch(`${host.url}/api/probe/abc123`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        runtimeStatus: "Completed",
        output: "output of abc123",
        // Kept on the host's own port: the host sets WEBSITE_HOSTNAME as the platform does.
        statusUri: `${host.url}/runtime/webhooks/durabletask/instances/abc123?taskHub=x`,
      });
      expect(backend?.requests.map((request) => request.method)).toEqual(["GET"]);
      // It came in on the worker's endpoint, without a key, and reached the backend under the webhook's path.
      expect(backend?.requests[0]?.url).toMatch(/^\/runtime\/webhooks\/durabletask\/instances\/abc123/);
      expect(backend?.requests[0]?.url).not.toContain("code=");
    } finally {
      await host.stop();
    }
  });

  it("routes the durable task API with the buffered body", async () => {
    const host = await start();
    try {
      const response = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/noopOrchestrator`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-functions-key": host.keys.durableTaskKey },
        body: JSON.stringify({ hello: "world" }),
      });
      expect(response.status).toBe(200);
      const [request] = backend?.requests ?? [];
      expect(request?.method).toBe("POST");
      expect(request?.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(request?.body.toString("utf8") ?? "")).toEqual({ hello: "world" });
    } finally {
      await host.stop();
    }
  });

  it("refuses the public durable webhook without its system key or the master key", async () => {
    const host = await start();
    try {
      const status = `${host.url}/runtime/webhooks/durabletask/instances/abc123?taskHub=x`;
      expect((await fetch(status)).status).toBe(401);
      expect((await fetch(`${status}&code=${host.keys.functionKey}`)).status).toBe(401);
      expect((await fetch(`${status}&code=wrong`)).status).toBe(401);
      expect(backend?.requests).toEqual([]);
      expect((await fetch(`${status}&code=${host.keys.durableTaskKey}`)).status).toBe(200);
      expect((await fetch(status, { headers: { "x-functions-key": host.keys.masterKey } })).status).toBe(200);
      expect(backend?.requests).toHaveLength(2);
    } finally {
      await host.stop();
    }
  });

  it("serves the worker's endpoint without a key, and only the durable API there", async () => {
    const host = await start();
    try {
      const rpcBase = backend?.options.rpcBaseUrl ?? "";
      const answered = await fetch(new URL("instances/abc123?taskHub=x", rpcBase));
      expect(answered.status).toBe(200);
      expect(backend?.requests[0]?.url).toBe("/runtime/webhooks/durabletask/instances/abc123?taskHub=x");
      const origin = new URL(rpcBase).origin;
      expect((await fetch(`${origin}/api/probe/abc123`)).status).toBe(404);
      expect((await fetch(`${origin}/runtime/webhooks/durabletask/instances/abc123`)).status).toBe(404);
      expect(backend?.requests).toHaveLength(1);
    } finally {
      await host.stop();
    }
    // Stopped with the host.
    await expect(fetch(backend?.options.rpcBaseUrl ?? "")).rejects.toThrow();
  });

  it("invokes an activity through the invoker as the worker does", async () => {
    const host = await start();
    try {
      const outcome = await host.invoker.invoke("shout", "quiet words");
      expect(outcome.returnValue).toBe("QUIET WORDS");
      await expect(host.invoker.invoke("nope", 1)).rejects.toThrow(/No function named "nope"/);
    } finally {
      await host.stop();
    }
  });
});
