// The secure and Flex-specific choices the issue asks for, read from the module parameters of the templates.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { declarations, parseBicep, parseInfra, propertyValue, repoRoot, type Template } from "./bicep-syntax";

/** "module.param=value" for every parameter the templates pass to a module, values as written. */
function moduleParams(templates: readonly Template[]): string[] {
  return templates.flatMap((t) =>
    declarations(t)
      .filter((d) => d.kind === "module" && d.body)
      .flatMap((d) => {
        const params = propertyValue(d.body!, "params");
        return (params?.namedChildren ?? [])
          .filter((p) => p.type === "object_property")
          .map(
            (p) =>
              `${d.target.replace(/:[\d.]+$/, "")}.${p.namedChild(0)!.text}=${p.namedChild(1)!.text.replace(/\s+/g, " ")}`,
          );
      }),
  );
}

const REQUIRED = [
  "br/public:avm/res/storage/storage-account.allowSharedKeyAccess=false",
  "br/public:avm/res/storage/storage-account.allowBlobPublicAccess=false",
  "br/public:avm/res/key-vault/vault.enableRbacAuthorization=true",
  "br/public:avm/res/key-vault/vault.enableSoftDelete=true",
  "br/public:avm/res/key-vault/vault.enablePurgeProtection=true",
  "br/public:avm/res/insights/component.disableLocalAuth=true",
  "br/public:avm/res/operational-insights/workspace.features={ disableLocalAuth: true }",
  "br/public:avm/res/web/serverfarm.skuName='FC1'",
  "br/public:avm/res/web/site.keyVaultAccessIdentityResourceId=identityResourceId",
  "br/public:avm/res/web/site.managedIdentities={ userAssignedResourceIds: [identityResourceId] }",
];

function postureProblems(templates: readonly Template[]): string[] {
  const params = moduleParams(templates);
  const problems = REQUIRED.filter((r) => !params.includes(r)).map((r) => `missing ${r}`);
  const flex = params.find((p) => p.startsWith("br/public:avm/res/web/site.functionAppConfig=")) ?? "";
  if (!/alwaysReady: \[ \{ name: 'durable' instanceCount: 1 \} \]/.test(flex))
    problems.push("no always-ready durable group of 1");
  if (!/runtime: \{ name: 'node' version: '22' \}/.test(flex)) problems.push("runtime is not node 22");
  if (!/type: 'UserAssignedIdentity'/.test(flex)) problems.push("deployment storage not reached with the identity");
  if (params.some((p) => /^br\/public:avm\/res\/web\/site\.configs=.*retainCurrentAppSettings: true/.test(p))) {
    problems.push("app settings merged with the current ones");
  }
  return problems;
}

describe("resource posture", () => {
  it("shared keys off, vault with RBAC, soft delete and purge protection, no local auth on monitoring, Flex with durable always ready", async () => {
    expect(postureProblems(await parseInfra())).toEqual([]);
  });

  it("fails on shared keys and on a missing durable always-ready group", async () => {
    const templates = await parseInfra();
    const edit = async (file: string, change: (text: string) => string): Promise<Template> =>
      parseBicep(file, change(readFileSync(join(repoRoot, file), "utf8")));
    const storage = await edit("infra/app/storage.bicep", (t) =>
      t.replace("allowSharedKeyAccess: false", "allowSharedKeyAccess: true"),
    );
    const api = await edit("infra/app/api.bicep", (t) => t.replace("name: 'durable'", "name: 'http'"));
    const broken = templates.map((t) => (t.file === storage.file ? storage : t.file === api.file ? api : t));
    expect(postureProblems(broken)).toEqual([
      "missing br/public:avm/res/storage/storage-account.allowSharedKeyAccess=false",
      "no always-ready durable group of 1",
    ]);
  });
});
