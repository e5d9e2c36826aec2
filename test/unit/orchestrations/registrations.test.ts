// The orchestrations are started by name (the HTTP triggers, gatewayReconcile, the offboarding restart): each
// registers under the name its starters use, as an orchestration trigger.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import "../../../src/orchestrations/issue-certificate";
import "../../../src/orchestrations/offboard-user";
import "../../../src/orchestrations/gateway-writer";
import "../../../src/orchestrations/lifecycle-request";
import "../../../src/orchestrations/send-callback";
import { FakeInvoker } from "../../support/durable/fake-invoker";

describe("orchestration registrations", () => {
  it("registers each orchestration under the name it is started by", () => {
    const orchestrations = new FakeInvoker()
      .functions()
      .filter((fn) => fn.trigger.type === "orchestrationTrigger")
      .map((fn) => fn.name)
      .sort();
    expect(orchestrations).toEqual([
      "deliverCertificate",
      "gatewayWriter",
      "issueClientCertificate",
      "lifecycleRequest",
      "offboardUser",
      "sendCallback",
    ]);
  });
});
