// GET /api/v1/gateways: each configured gateway's P2S certificate state against what the ledger wants.
import { app } from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { services } from "../activities/services";
import { parseGatewayId } from "../clients/gateway";
import { loadDesiredGatewayState } from "../clients/desired-gateway-state";
import { authorize } from "./auth/authorize";
import { GatewayCapacityError, MAX_REVOKED_CERTIFICATES, pendingChangeCount, planSync } from "../domain/gateway-config";

export interface GatewayView {
  readonly id: string;
  readonly name: string;
  readonly roots: readonly { readonly name: string; readonly managed: boolean }[];
  readonly revokedCount: number;
  readonly revokedCapacity: number;
  /** Changes the writer still has to apply (revocations to add or prune, roots to add or update). */
  readonly pendingChanges: number;
  /** Revocations the ledger wants that do not fit (over 300): left off, those that expire soonest. */
  readonly revocationsLeftOff: number;
  readonly lastSyncAt: string | null;
  readonly lastOutcome: string | null;
  /** The gateway's provisioningState (Succeeded, Updating, Failed); null when it could not be read. */
  readonly provisioningState: string | null;
  readonly inSync: boolean;
  readonly error?: string;
}

export async function listGateways(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const caller = await authorize(request, { role: "Gateways.Read" });
  if (!caller.ok) return caller.response;
  const { config, ledger, keyVault, gateways, roots } = services();
  const now = new Date();
  const { desired } = await loadDesiredGatewayState(config, { ledger, keyVault, roots }, now);
  const managed = new Set(desired.roots.map((r) => r.name.toLowerCase()));
  const views = await Promise.all(
    config.GATEWAY_RESOURCE_IDS.map(async (id): Promise<GatewayView> => {
      const ref = parseGatewayId(id);
      const sync = await ledger.getGatewaySync(id);
      const base = {
        id,
        name: ref.name,
        revokedCapacity: MAX_REVOKED_CERTIFICATES,
        lastSyncAt: sync?.lastSyncAt.toISOString() ?? null,
        lastOutcome: sync?.outcome ?? null,
      };
      try {
        const snapshot = await gateways.read(ref);
        const pendingChanges = pendingChangeCount(snapshot.state, desired, now);
        let error: string | undefined;
        let revocationsLeftOff = 0;
        try {
          revocationsLeftOff = planSync(snapshot.state, desired, now).leftOff.length;
          if (revocationsLeftOff > 0) {
            error = `${revocationsLeftOff} revocations do not fit in the gateway's ${MAX_REVOKED_CERTIFICATES} entries: the ones that expire soonest are left off until a root rotation retires their root`;
          }
        } catch (e) {
          if (!(e instanceof GatewayCapacityError)) throw e;
          error = e.message;
        }
        const provisioningState = snapshot.provisioningState ?? null;
        return {
          ...base,
          provisioningState,
          roots: snapshot.state.roots.map((r) => ({ name: r.name, managed: managed.has(r.name.toLowerCase()) })),
          revokedCount: snapshot.state.revoked.length,
          pendingChanges,
          revocationsLeftOff,
          // An Updating or Failed gateway shows the object it was given, not necessarily what it enforces.
          inSync: pendingChanges === 0 && error === undefined && provisioningState === "Succeeded",
          ...(error === undefined ? {} : { error }),
        };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        context.warn(`gateways: cannot read ${ref.name}: ${message}`);
        return {
          ...base,
          provisioningState: null,
          roots: [],
          revokedCount: 0,
          pendingChanges: 0,
          revocationsLeftOff: 0,
          inSync: false,
          error: message,
        };
      }
    }),
  );
  return { status: 200, jsonBody: views };
}

app.http("listGateways", { route: "v1/gateways", methods: ["GET"], authLevel: "function", handler: listGateways });
