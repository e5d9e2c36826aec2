// Which Event Grid events ask for a regeneration: a configured gateway's own successful write, nothing else.
import { classifyGatewayEvent } from "../../../src/domain/gateway-event";

const GW = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/GW-West";

const event = (over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
  id: "1",
  subject: GW,
  eventType: "Microsoft.Resources.ResourceWriteSuccess",
  data: {
    resourceUri: GW,
    operationName: "Microsoft.Network/virtualNetworkGateways/write",
    status: "Succeeded",
    ...data,
  },
  ...over,
});

describe("classifyGatewayEvent", () => {
  it("takes a configured gateway's write, whatever the casing of its id", () => {
    expect(classifyGatewayEvent(event({}, { resourceUri: GW.toLowerCase() }), [GW])).toEqual({
      relevant: true,
      gatewayId: GW,
    });
    expect(classifyGatewayEvent(event({}, { resourceUri: undefined }), [GW])).toEqual({
      relevant: true,
      gatewayId: GW,
    });
  });

  it("takes the gateway's id with trailing slashes", () => {
    for (const resourceUri of [`${GW}/`, `${GW}//`]) {
      expect(classifyGatewayEvent(event({}, { resourceUri }), [GW])).toEqual({ relevant: true, gatewayId: GW });
    }
  });

  it.each<[string, unknown, string]>([
    ["another event type", event({ eventType: "Microsoft.Resources.ResourceDeleteSuccess" }), "eventType"],
    ["a CloudEvents-shaped event", { type: "Microsoft.Resources.ResourceWriteSuccess", source: GW }, "eventType"],
    ["another gateway", event({}, { resourceUri: GW.replace("GW-West", "GW-East") }), "notConfigured"],
    ["a child resource of the gateway", event({}, { resourceUri: `${GW}/natRules/n1` }), "notConfigured"],
    ["a failed write", event({}, { status: "Failed" }), "notSucceeded"],
    ["no object", "text", "notAnEvent"],
    ["null", null, "notAnEvent"],
  ])("ignores %s", (_what, e, reason) => {
    expect(classifyGatewayEvent(e, [GW])).toEqual({ relevant: false, reason });
  });
});
