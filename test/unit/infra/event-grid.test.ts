// Every function the code registers with an Event Grid trigger gets its event subscription from the postdeploy hook
// (gatewayEvents: the gateways' system topics; entraEvents: the Graph partner topic).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./bicep-syntax";
import { eventGridFunctions, eventGridProblems } from "./contracts";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [readFileSync(join(dir, e.name), "utf8")]
        : [],
  );
}

const hooks = ["postdeploy.sh", "postdeploy.ps1"].map((f) => ({
  file: `infra/hooks/${f}`,
  text: readFileSync(join(repoRoot, "infra", "hooks", f), "utf8"),
}));

describe("Event Grid subscriptions", () => {
  it("exist in every hook for each app.eventGrid function of src/", () => {
    expect(eventGridProblems(eventGridFunctions(sources(join(repoRoot, "src"))), hooks)).toEqual([]);
  });

  it("cover the Event Grid functions landing this session (gatewayEvents, entraEvents)", () => {
    expect(eventGridProblems(["gatewayEvents", "entraEvents"], hooks)).toEqual([]);
  });

  it("reads registrations and fails for a function without a subscription", () => {
    const registered = eventGridFunctions([
      'app.eventGrid("gatewayEvents", { handler });',
      "app.eventGrid('certificateEvents', { extraInputs: [], handler });",
      'app.http("x", {});',
    ]);
    expect(registered).toEqual(["gatewayEvents", "certificateEvents"]);
    expect(eventGridProblems(registered, hooks)).toEqual([
      "infra/hooks/postdeploy.sh: no event subscription to the certificateEvents function (endpoint .../functions/certificateEvents)",
      "infra/hooks/postdeploy.ps1: no event subscription to the certificateEvents function (endpoint .../functions/certificateEvents)",
    ]);
    const without = hooks.map((h) => ({
      ...h,
      text: h.text.replace(/\/functions\/gatewayEvents/g, "/functions/other"),
    }));
    expect(eventGridProblems(["gatewayEvents"], without)).toHaveLength(2);
  });
});
