// The edges of Graph notification parsing: null and empty values, a resource that only contains a users path, the
// object id taken from resourceData, the lifecycle CloudEvent, and group events.
import {
  GRAPH_REAUTHORIZATION_EVENT,
  parseChange,
  parseGraphCloudEvent,
  parseLifecycle,
} from "../../../src/domain/entra-notifications";

const USER = "6a1f0c1e-2b3d-4c5e-8f90-0123456789ab";
const OTHER = "0f1e2d3c-4b5a-4697-8877-665544332211";
const GROUP = "5b0e1c8a-6f3d-4e2a-9c71-0a1b2c3d4e5f";
const item = { subscriptionId: "sub-1", changeType: "updated", resource: `Users/${USER}`, clientState: "state" };
const event = {
  specversion: "1.0",
  id: "e-1",
  source: "/tenants/t/applications/a",
  type: "Microsoft.Graph.UserUpdated",
  data: item,
};

describe("parseChange's edges", () => {
  it("answers undefined for null, and reads a null resourceData as none", () => {
    expect(parseChange(null)).toBeUndefined();
    expect(parseChange({ ...item, resourceData: null })).toMatchObject({ objectId: USER });
  });

  it("reads an empty string as absent", () => {
    expect(parseChange({ ...item, clientState: "" })).toMatchObject({ objectId: USER, clientState: undefined });
    expect(parseChange({ ...item, subscriptionId: "" })).toBeUndefined();
  });

  it("takes the object id from resourceData when it has one", () => {
    expect(parseChange({ ...item, resourceData: { id: OTHER.toUpperCase() } })).toMatchObject({ objectId: OTHER });
  });

  it("takes only a whole users or groups path as the resource, even with an id in resourceData", () => {
    for (const resource of [`me/users/${USER}`, `Users/${USER}/messages`, "me/messages"]) {
      expect(parseChange({ ...item, resource, resourceData: { id: USER } })).toBeUndefined();
    }
  });
});

describe("parseLifecycle", () => {
  it("keeps the item's clientState", () => {
    expect(
      parseLifecycle({ subscriptionId: "s", lifecycleEvent: "subscriptionRemoved", clientState: "state" }),
    ).toEqual({ subscriptionId: "s", lifecycleEvent: "subscriptionRemoved", clientState: "state" });
  });
});

describe("parseGraphCloudEvent's edges", () => {
  it("refuses null, and an event without a source", () => {
    expect(parseGraphCloudEvent(null)).toEqual({ kind: "invalid", reason: "not a JSON object" });
    const { source: _, ...noSource } = event;
    expect(parseGraphCloudEvent(noSource)).toEqual({ kind: "invalid", reason: "id, source and type are required" });
  });

  it("reads the reauthorization event as a lifecycle notification, its data's own lifecycleEvent first", () => {
    const data = { subscriptionId: "sub-1", clientState: "state" };
    expect(parseGraphCloudEvent({ ...event, type: GRAPH_REAUTHORIZATION_EVENT, data })).toEqual({
      kind: "lifecycle",
      id: "e-1",
      lifecycle: { subscriptionId: "sub-1", lifecycleEvent: "reauthorizationRequired", clientState: "state" },
    });
    const removed = { ...data, lifecycleEvent: "subscriptionRemoved" };
    expect(parseGraphCloudEvent({ ...event, type: GRAPH_REAUTHORIZATION_EVENT, data: removed })).toMatchObject({
      lifecycle: { lifecycleEvent: "subscriptionRemoved" },
    });
    expect(parseGraphCloudEvent({ ...event, type: GRAPH_REAUTHORIZATION_EVENT, data: { clientState: "s" } })).toEqual({
      kind: "invalid",
      reason: "lifecycle data lacks subscriptionId",
    });
  });

  it("takes a group event about a group, and names what its data lacks", () => {
    const groupData = { ...item, resource: `Groups/${GROUP}` };
    expect(parseGraphCloudEvent({ ...event, type: "Microsoft.Graph.GroupUpdated", data: groupData })).toEqual({
      kind: "change",
      id: "e-1",
      change: {
        objectType: "group",
        objectId: GROUP,
        changeType: "updated",
        subscriptionId: "sub-1",
        clientState: "state",
      },
    });
    expect(parseGraphCloudEvent({ ...event, data: { ...item, changeType: undefined } })).toEqual({
      kind: "invalid",
      reason: "data lacks changeType, subscriptionId or a users/groups resource",
    });
  });
});
