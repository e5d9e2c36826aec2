// The infrastructure contracts, read from Bicep syntax trees. Each rule returns its problems as sentences (empty when
// the templates keep it), so a test can show the rule failing on a broken template.
import type { Node } from "web-tree-sitter";
import { declarations, descendants, propertyKey, propertyValue, stringText, type Template } from "./bicep-syntax";

// ---------------------------------------------------------------------------------------------- app settings

export interface AppSetting {
  readonly name: string;
  readonly value: Node;
  /** A literal value, when the setting is one. */
  readonly literal: string | undefined;
  /** The value's source text with variables it names expanded one level (to see Key Vault references). */
  readonly expanded: string;
}

const AVM_SITE = "br/public:avm/res/web/site:";

/** The app settings of the function app: the AVM web/site module's `configs` entry named `appsettings`. */
export function appSettingsOf(templates: readonly Template[]): { file: string; settings: AppSetting[] } {
  for (const template of templates) {
    const decls = declarations(template);
    const variable = (name: string): Node | undefined =>
      decls.find((d) => d.kind === "variable" && d.symbol === name)?.value;
    for (const site of decls.filter((d) => d.kind === "module" && d.target.startsWith(AVM_SITE))) {
      const configs = site.body && propertyValue(site.body, "params");
      const list = configs && propertyValue(configs, "configs");
      for (const entry of list?.namedChildren ?? []) {
        if (entry.type !== "object") continue;
        const name = propertyValue(entry, "name");
        if (name === undefined || stringText(name) !== "appsettings") continue;
        let properties = propertyValue(entry, "properties");
        if (properties?.type === "identifier") properties = variable(properties.text);
        if (properties?.type !== "object") {
          throw new Error(
            `${template.file}: appsettings.properties must be an object literal or a variable holding one`,
          );
        }
        const settings = properties.namedChildren
          .filter((p) => p.type === "object_property")
          .map((p): AppSetting => {
            const value = p.namedChild(1)!;
            const named = descendants(value, "identifier").map((i) => variable(i.text)?.text ?? "");
            return {
              name: propertyKey(p) ?? "",
              value,
              literal: stringText(value),
              expanded: [value.text, ...named].join("\n"),
            };
          });
        return { file: template.file, settings };
      }
    }
  }
  throw new Error(`no ${AVM_SITE}... module with an appsettings config in ${templates.map((t) => t.file).join(", ")}`);
}

export interface SettingsExpectation {
  /** Every setting of the config schema (src/config.ts and src/config-*.ts). */
  readonly schema: readonly string[];
  /** Schema settings only used on a developer's machine: never set in Azure. */
  readonly localOnly: readonly string[];
  /** Platform settings, not read by the app's config. */
  readonly platform: readonly string[];
}

/** Missing and unknown app settings, named. */
export function appSettingsProblems(file: string, names: readonly string[], expected: SettingsExpectation): string[] {
  const set = new Set(names);
  const wanted = expected.schema.filter((n) => !expected.localOnly.includes(n));
  const known = new Set([...expected.schema, ...expected.platform]);
  const missing = [...wanted, ...expected.platform].filter((n) => !set.has(n));
  const unknown = names.filter((n) => !known.has(n));
  const local = names.filter((n) => expected.localOnly.includes(n));
  const duplicated = names.filter((n, i) => names.indexOf(n) !== i);
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`${file} lacks app settings: ${missing.join(", ")}`);
  if (unknown.length > 0) {
    problems.push(`${file} sets app settings unknown to src/config.ts (settingsSchema): ${unknown.join(", ")}`);
  }
  if (local.length > 0) problems.push(`${file} sets local-only settings: ${local.join(", ")}`);
  if (duplicated.length > 0) problems.push(`${file} sets twice: ${duplicated.join(", ")}`);
  return problems;
}

/** Settings holding secrets: their value must be a Key Vault reference. */
export const SECRET_SETTING = /(SECRET|SECRET_PREVIOUS|CLIENT_STATE|PASSWORD|PASSPHRASE|API_KEY)$/;

export function secretSettingProblems(file: string, settings: readonly AppSetting[]): string[] {
  return settings
    .filter((s) => SECRET_SETTING.test(s.name) && !s.expanded.includes("@Microsoft.KeyVault("))
    .map((s) => `${file}: ${s.name} holds a secret and must be a Key Vault reference (@Microsoft.KeyVault(...))`);
}

// ---------------------------------------------------------------------------------------------- roles

export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  "a4417e6f-fecd-4de8-b567-7b0420556985": "Key Vault Certificates Officer",
  "12338af0-0e69-4776-bea7-57ae8d297424": "Key Vault Crypto User",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
};

/** The built-in roles the code needs, on the resource type each is needed on; nothing else is allowed. */
export const REQUIRED_BUILT_IN: readonly { readonly scope: string; readonly role: string }[] = [
  { scope: "Microsoft.KeyVault/vaults", role: "a4417e6f-fecd-4de8-b567-7b0420556985" },
  { scope: "Microsoft.KeyVault/vaults", role: "12338af0-0e69-4776-bea7-57ae8d297424" },
  { scope: "Microsoft.KeyVault/vaults", role: "4633458b-17de-408a-b874-0445c86b69e6" },
  { scope: "Microsoft.Storage/storageAccounts", role: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b" },
  { scope: "Microsoft.Storage/storageAccounts", role: "974c5e8b-45b9-4653-ba55-5f855dd0fb88" },
  { scope: "Microsoft.Storage/storageAccounts", role: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3" },
  { scope: "Microsoft.Insights/components", role: "3913510d-42f4-4e42-8a64-420c390055eb" },
];

export const GATEWAY_ACTIONS = [
  "Microsoft.Network/virtualNetworkGateways/read",
  "Microsoft.Network/virtualNetworkGateways/write",
  "Microsoft.Network/virtualNetworkGateways/generatevpnprofile/action",
  "Microsoft.Network/virtualNetworkGateways/getvpnprofilepackageurl/action",
  "Microsoft.Network/virtualNetworkGateways/getvpnclientconnectionhealth/action",
  "Microsoft.Network/virtualNetworkGateways/disconnectvirtualnetworkgatewayvpnconnections/action",
];

export const JOIN_ACTIONS = [
  "Microsoft.Network/virtualNetworks/subnets/read",
  "Microsoft.Network/virtualNetworks/subnets/join/action",
  "Microsoft.Network/publicIPAddresses/read",
  "Microsoft.Network/publicIPAddresses/join/action",
];

/** Custom roles the code needs: exactly these actions, assigned on exactly these resource types. */
export const REQUIRED_CUSTOM: readonly { readonly scopes: readonly string[]; readonly actions: readonly string[] }[] = [
  { scopes: ["Microsoft.Network/virtualNetworkGateways"], actions: GATEWAY_ACTIONS },
  {
    scopes: ["Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/publicIPAddresses"],
    actions: JOIN_ACTIONS,
  },
];

export interface Grant {
  readonly file: string;
  readonly symbol: string;
  /** Resource type of the scope; undefined when the assignment has none (the deployment's scope). */
  readonly scope: string | undefined;
  readonly builtIn: readonly string[];
  /** Actions of the custom role assigned, when it is one. */
  readonly custom: readonly string[] | undefined;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const typeOf = (target: string): string => target.split("@")[0] ?? target;

function stringsIn(node: Node): string[] {
  return descendants(node, "string")
    .map(stringText)
    .filter((s): s is string => s !== undefined);
}

/**
 * The actions of the custom role a roleDefinitionId expression names: `<roleDefinition>.id` in the same template, or
 * a parameter that the calling template's module passes `<roleDefinition>.id` to.
 */
function customRoleActions(templates: readonly Template[], template: Template, roleNode: Node): string[] | undefined {
  const decls = declarations(template);
  if (roleNode.type === "identifier") {
    const param = decls.find((d) => d.kind === "parameter" && d.symbol === roleNode.text);
    if (param === undefined) return undefined;
    const file = template.file.split("/").pop() ?? "";
    for (const caller of templates) {
      for (const m of declarations(caller)) {
        if (m.kind !== "module" || !m.target.endsWith(`/${file}`) || !m.body) continue;
        const params = propertyValue(m.body, "params");
        const passed = params && propertyValue(params, param.symbol);
        const actions = passed && customRoleActions(templates, caller, passed);
        if (actions !== undefined) return actions;
      }
    }
    return undefined;
  }
  if (roleNode.type !== "member_expression") return undefined;
  const role = decls.find((d) => d.symbol === roleNode.namedChild(0)?.text);
  if (role?.kind !== "resource" || typeOf(role.target) !== "Microsoft.Authorization/roleDefinitions") return undefined;
  const permissions = role.body && propertyValue(role.body, "properties");
  const list = permissions && propertyValue(permissions, "permissions");
  const variable = (name: string) => decls.find((d) => d.kind === "variable" && d.symbol === name)?.value;
  return (list ? descendants(list, "object_property") : [])
    .filter((p) => propertyKey(p) === "actions" || propertyKey(p) === "dataActions")
    .flatMap((p) => {
      const value = p.namedChild(1)!;
      const source = value.type === "identifier" ? variable(value.text) : value;
      return source === undefined ? [] : stringsIn(source);
    });
}

/** Every role assignment of the templates, with its scope's type and its role. */
export function grantsOf(templates: readonly Template[]): Grant[] {
  const grants: Grant[] = [];
  for (const template of templates) {
    const decls = declarations(template);
    const named = (symbol: string) => decls.find((d) => d.symbol === symbol);
    const expand = (node: Node): string[] => [
      ...stringsIn(node),
      ...descendants(node, "identifier").flatMap((i) => {
        const d = named(i.text);
        return d?.kind === "variable" && d.value !== undefined ? stringsIn(d.value) : [];
      }),
    ];
    for (const d of decls) {
      if (d.kind !== "resource" || typeOf(d.target) !== "Microsoft.Authorization/roleAssignments" || !d.body) continue;
      const scopeNode = propertyValue(d.body, "scope");
      const scopeSymbol = scopeNode && descendants(scopeNode, "identifier")[0]?.text;
      const scopeDecl = scopeSymbol === undefined ? undefined : named(scopeSymbol);
      const properties = propertyValue(d.body, "properties");
      const roleNode = properties && propertyValue(properties, "roleDefinitionId");
      const custom = roleNode && customRoleActions(templates, template, roleNode);
      // The role ids: in the assignment itself, or in the variable its loop runs over.
      const builtIn = custom ? [] : [...new Set(expand(d.node).flatMap((s) => s.match(GUID) ?? []))];
      grants.push({
        file: template.file,
        symbol: d.symbol,
        scope: scopeDecl?.kind === "resource" ? typeOf(scopeDecl.target) : scopeSymbol === undefined ? undefined : "?",
        builtIn: builtIn.map((g) => g.toLowerCase()),
        custom,
      });
    }
  }
  return grants;
}

const roleName = (id: string): string => BUILT_IN_ROLES[id] ?? id;
const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.some((y) => y.toLowerCase() === x.toLowerCase()));

/** Each needed role present at its resource, and nothing else nor broader. */
export function roleProblems(templates: readonly Template[]): string[] {
  const grants = grantsOf(templates);
  const problems: string[] = [];
  for (const g of grants) {
    const where = `${g.file} ${g.symbol}`;
    if (g.scope === undefined) {
      problems.push(`${where}: assigned at the deployment's scope (resource group or subscription), not on a resource`);
      continue;
    }
    for (const id of g.builtIn) {
      if (!REQUIRED_BUILT_IN.some((r) => r.role === id && r.scope === g.scope)) {
        problems.push(`${where}: ${roleName(id)} on ${g.scope} is not a role the code needs there`);
      }
    }
    if (
      g.custom !== undefined &&
      !REQUIRED_CUSTOM.some((r) => r.scopes.includes(g.scope!) && sameSet(r.actions, g.custom!))
    ) {
      problems.push(
        `${where}: custom role with [${g.custom.join(", ")}] on ${g.scope} is not exactly a role the code needs`,
      );
    }
    if (g.custom === undefined && g.builtIn.length === 0) problems.push(`${where}: role not recognised`);
  }
  for (const r of REQUIRED_BUILT_IN) {
    if (!grants.some((g) => g.scope === r.scope && g.builtIn.includes(r.role))) {
      problems.push(`missing: ${roleName(r.role)} on ${r.scope}`);
    }
  }
  for (const r of REQUIRED_CUSTOM) {
    for (const scope of r.scopes) {
      if (!grants.some((g) => g.scope === scope && g.custom !== undefined && sameSet(r.actions, g.custom))) {
        problems.push(`missing: custom role [${r.actions.join(", ")}] on ${scope}`);
      }
    }
  }
  // Roles handed out another way would escape this contract.
  for (const template of templates) {
    for (const d of declarations(template)) {
      if (
        d.kind === "module" &&
        d.body &&
        descendants(d.body, "object_property").some((p) => propertyKey(p) === "roleAssignments")
      ) {
        problems.push(
          `${template.file} ${d.symbol}: roleAssignments through a module; assign roles as resources (rbac.bicep)`,
        );
      }
      if (d.kind === "resource" && typeOf(d.target) === "Microsoft.Authorization/roleDefinitions" && d.body) {
        const text = d.body.text;
        if (/subscription\(\)\.id|managementGroup\(/.test(text)) {
          problems.push(`${template.file} ${d.symbol}: custom role assignable beyond the resource group`);
        }
        if (/notActions:\s*\[\s*'|dataActions|\*/.test(text)) {
          problems.push(`${template.file} ${d.symbol}: custom role with wildcards, data actions or exclusions`);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- gateways

const CERTIFICATE_LISTS = ["vpnclientrootcertificates", "vpnclientrevokedcertificates"];
const OWNED_ELSEWHERE = [
  "Microsoft.Network/virtualNetworkGateways",
  "Microsoft.Network/virtualNetworks",
  "Microsoft.Network/virtualNetworks/subnets",
  "Microsoft.Network/publicIPAddresses",
];

/** No template declares a gateway's certificate lists, nor a gateway or its network other than as `existing`. */
export function gatewayOwnershipProblems(templates: readonly Template[]): string[] {
  const problems: string[] = [];
  for (const template of templates) {
    const root = template.tree.rootNode;
    const words = [
      ...descendants(root, "identifier"),
      ...descendants(root, "property_identifier"),
      ...descendants(root, "string_content"),
    ];
    for (const w of words) {
      if (CERTIFICATE_LISTS.some((c) => w.text.toLowerCase().includes(c))) {
        problems.push(`${template.file}:${w.startPosition.row + 1}: declares ${w.text}, which the app owns`);
      }
    }
    for (const d of declarations(template)) {
      if (d.kind === "resource" && OWNED_ELSEWHERE.includes(typeOf(d.target)) && !d.existing) {
        problems.push(
          `${template.file} ${d.symbol}: ${typeOf(d.target)} must be referenced as existing, never deployed`,
        );
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- Event Grid

/** Names of the functions registered with app.eventGrid(...) in the given sources. */
export function eventGridFunctions(sources: readonly string[]): string[] {
  return sources.flatMap((s) => [...s.matchAll(/app\.eventGrid\(\s*["'`]([A-Za-z0-9_-]+)["'`]/g)].map((m) => m[1]!));
}

/** Each Event Grid function has an event subscription created by every postdeploy hook. */
export function eventGridProblems(
  functions: readonly string[],
  hooks: readonly { file: string; text: string }[],
): string[] {
  return functions.flatMap((name) =>
    hooks
      .filter((h) => !new RegExp(`event-subscription create[^]*?/functions/${name}\\b`).test(h.text))
      .map((h) => `${h.file}: no event subscription to the ${name} function (endpoint .../functions/${name})`),
  );
}
