// Graph's notifications as the app parses them: webhook items, lifecycle items and CloudEvents from the partner topic,
// each refused with a reason when malformed; clientState compared whatever its length.
import {
  notificationItems,
  parseChange,
  parseGraphCloudEvent,
  parseLifecycle,
  sameClientState,
} from "../../../src/domain/entra-notifications";

const USER = "6a1f0c1e-2b3d-4c5e-8f90-0123456789ab";
const GROUP = "5b0e1c8a-6f3d-4e2a-9c71-0a1b2c3d4e5f";
const item = {
  subscriptionId: "sub-1",
  changeType: "updated",
  resource: `Users/${USER}`,
  resourceData: { "@odata.type": "#Microsoft.Graph.User", "@odata.id": `Users/${USER}`, id: USER },
  clientState: "state",
};

describe("Graph notifications", () => {
  it("parses a user and a group change, from resource or resourceData", () => {
    expect(parseChange(item)).toEqual({
      objectType: "user",
      objectId: USER,
      changeType: "updated",
      subscriptionId: "sub-1",
      clientState: "state",
    });
    expect(parseChange({ ...item, resource: `groups/${GROUP}/members`, resourceData: {} })).toMatchObject({
      objectType: "group",
      objectId: GROUP,
    });
  });

  it("refuses what is not a users or groups change", () => {
    expect(parseChange({ ...item, resource: "me/messages", resourceData: {} })).toBeUndefined();
    expect(parseChange({ ...item, changeType: "exploded" })).toBeUndefined();
    expect(parseChange({ ...item, subscriptionId: undefined })).toBeUndefined();
    expect(notificationItems({ value: [] })).toBeUndefined();
    expect(notificationItems([item])).toBeUndefined();
    expect(parseLifecycle({ subscriptionId: "s", lifecycleEvent: "reauthorizationRequired" })).toMatchObject({
      lifecycleEvent: "reauthorizationRequired",
    });
  });

  it("compares clientState exactly, whatever the lengths", () => {
    expect(sameClientState("state", "state")).toBe(true);
    expect(sameClientState("state", "State")).toBe(false);
    expect(sameClientState("state", "state-and-more")).toBe(false);
    expect(sameClientState("state", undefined)).toBe(false);
  });

  const cloudEvent = {
    specversion: "1.0",
    id: "e-1",
    source: "/tenants/t/applications/a",
    type: "Microsoft.Graph.UserDeleted",
    subject: `Users/${USER}`,
    data: { ...item, changeType: "deleted" },
  };

  it("parses Graph's CloudEvents, data as an object or a JSON string", () => {
    expect(parseGraphCloudEvent(cloudEvent)).toMatchObject({ kind: "change", id: "e-1", change: { objectId: USER } });
    expect(parseGraphCloudEvent({ ...cloudEvent, data: JSON.stringify(cloudEvent.data) })).toMatchObject({
      kind: "change",
    });
  });

  it.each([
    ["another spec version", { ...cloudEvent, specversion: "0.3" }, /specversion/],
    ["an Event Grid schema event", { id: "x", eventType: "Microsoft.Graph.UserDeleted", data: item }, /specversion/],
    ["an unhandled type", { ...cloudEvent, type: "Microsoft.Graph.MessageCreated" }, /not handled/],
    [
      "a user event about a group",
      { ...cloudEvent, data: { ...item, resource: `Groups/${GROUP}`, resourceData: {} } },
      /about a group/,
    ],
    ["no data", { ...cloudEvent, data: "not json" }, /data/],
  ])("refuses %s with the reason", (_what, event, reason) => {
    const parsed = parseGraphCloudEvent(event);
    expect(parsed.kind).toBe("invalid");
    expect("reason" in parsed ? parsed.reason : "").toMatch(reason);
  });
});
