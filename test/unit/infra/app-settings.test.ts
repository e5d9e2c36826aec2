// The function app's settings in Bicep against src/config.ts: every setting set, none unknown, literal values valid,
// secrets as Key Vault references; and the README table and local.settings.sample.json name the same settings.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { settingDocs } from "../../../dev/tools/settings-doc";
import { settingsSchema } from "../../../src/config";
import { parseBicep, parseInfra, repoRoot } from "./bicep-syntax";
import { appSettingsOf, appSettingsProblems, secretSettingProblems, type SettingsExpectation } from "./contracts";

/** Read only on a developer's machine: Azurite's connection string, the local emulators' CA. */
const LOCAL_ONLY = ["AzureWebJobsStorage", "P2S_TRUSTED_CA_FILE"];
/** Read by the Functions host and Application Insights, not by the app's config. */
const PLATFORM = [
  "AzureWebJobsStorage__credential",
  "AzureWebJobsStorage__clientId",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
];

const schemaNames = Object.keys(settingsSchema.shape);
const expectation: SettingsExpectation = { schema: schemaNames, localOnly: LOCAL_ONLY, platform: PLATFORM };
const apiFile = join(repoRoot, "infra", "app", "api.bicep");

describe("function app settings (infra/app/api.bicep) against src/config.ts", () => {
  it("sets every setting of the schema but the local-only ones, and no unknown one", async () => {
    const { file, settings } = appSettingsOf(await parseInfra());
    expect(
      appSettingsProblems(
        file,
        settings.map((s) => s.name),
        expectation,
      ),
    ).toEqual([]);
  });

  it("never treats a required setting, or one the host reads as %NAME%, as local-only", () => {
    const hostRead =
      [
        readFileSync(join(repoRoot, "host.json"), "utf8"),
        ...schemaNames.map((n) => settingsSchema.shape[n as keyof typeof settingsSchema.shape].description ?? ""),
      ]
        .join("\n")
        .match(/%([A-Za-z0-9_]+)%/g)
        ?.map((m) => m.slice(1, -1)) ?? [];
    const required = settingDocs()
      .filter((s) => s.required)
      .map((s) => s.name);
    expect(LOCAL_ONLY.filter((n) => required.includes(n) || hostRead.includes(n))).toEqual([]);
    expect(hostRead.length).toBeGreaterThan(0);
  });

  it("gives each literal value one the schema accepts", async () => {
    const { settings } = appSettingsOf(await parseInfra());
    const shape = settingsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } } | undefined>;
    const bad = settings.filter(
      (s) => s.literal !== undefined && shape[s.name]?.safeParse(s.literal).success === false,
    );
    expect(bad.map((s) => `${s.name}=${s.literal ?? ""}`)).toEqual([]);
  });

  it("sets secrets as Key Vault references", async () => {
    const { file, settings } = appSettingsOf(await parseInfra());
    expect(settings.some((s) => s.name === "TICKETING_SHARED_SECRET")).toBe(true);
    expect(secretSettingProblems(file, settings)).toEqual([]);
  });

  it("names the missing and the unknown settings of a broken template", async () => {
    const text = readFileSync(apiFile, "utf8")
      .replace(/^\s*KEY_VAULT_URL: .*$/m, "")
      .replace(
        /^\s*HR_EVENTS_QUEUE: .*$/m,
        "  HR_QUEUE: 'hr-events'\n  AzureWebJobsStorage: 'UseDevelopmentStorage=true'",
      );
    const { file, settings } = appSettingsOf([await parseBicep("broken-api.bicep", text)]);
    expect(
      appSettingsProblems(
        file,
        settings.map((s) => s.name),
        expectation,
      ),
    ).toEqual([
      "broken-api.bicep lacks app settings: KEY_VAULT_URL, HR_EVENTS_QUEUE",
      "broken-api.bicep sets app settings unknown to src/config.ts (settingsSchema): HR_QUEUE",
      "broken-api.bicep sets local-only settings: AzureWebJobsStorage",
    ]);
  });

  it("refuses a secret set in clear and an invalid literal in a broken template", async () => {
    const text = readFileSync(apiFile, "utf8")
      .replace(/^\s*TICKETING_SHARED_SECRET: .*$/m, "  TICKETING_SHARED_SECRET: ticketingSecretName")
      .replace(/^\s*CA_ROOT_KEY_SIZE: .*$/m, "  CA_ROOT_KEY_SIZE: '1024'");
    const { file, settings } = appSettingsOf([await parseBicep("broken-api.bicep", text)]);
    expect(secretSettingProblems(file, settings)).toEqual([
      "broken-api.bicep: TICKETING_SHARED_SECRET holds a secret and must be a Key Vault reference (@Microsoft.KeyVault(...))",
    ]);
    const shape = settingsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } } | undefined>;
    expect(
      settings
        .filter((s) => s.literal !== undefined && shape[s.name]?.safeParse(s.literal).success === false)
        .map((s) => s.name),
    ).toEqual(["CA_ROOT_KEY_SIZE"]);
  });
});

describe("settings agree: src/config.ts, README table, local.settings.sample.json, Bicep", () => {
  it("names the same settings in all four", async () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const table = [...readme.matchAll(/^\| `([A-Za-z0-9_]+)` \|/gm)].map((m) => m[1]!);
    const sample = Object.keys(
      (
        JSON.parse(readFileSync(join(repoRoot, "local.settings.sample.json"), "utf8")) as {
          Values: Record<string, string>;
        }
      ).Values,
    ).filter((n) => n !== "FUNCTIONS_WORKER_RUNTIME");
    const bicep = appSettingsOf(await parseInfra())
      .settings.map((s) => s.name)
      .filter((n) => !PLATFORM.includes(n));
    const sorted = (names: readonly string[]) => [...names].sort();
    expect(sorted(table)).toEqual(sorted(schemaNames));
    expect(sorted(sample)).toEqual(sorted(schemaNames));
    expect(sorted([...bicep, ...LOCAL_ONLY])).toEqual(sorted(schemaNames));
  });
});
