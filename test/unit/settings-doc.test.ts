import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readmeWithTable, sampleSettings, settingDocs } from "../../dev/tools/settings-doc";
import { parseConfig } from "../../src/config";

const root = join(__dirname, "..", "..");

describe("settings documentation", () => {
  it("documents every setting", () => {
    for (const s of settingDocs()) expect(s.description.length).toBeGreaterThan(10);
  });

  it("README's settings table is up to date (npm run settings:doc)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readmeWithTable(readme)).toBe(readme);
  });

  it("local.settings.sample.json is up to date and a valid configuration", () => {
    const sample = readFileSync(join(root, "local.settings.sample.json"), "utf8");
    expect(sample).toBe(sampleSettings());
    const { Values } = JSON.parse(sample) as { Values: Record<string, string> };
    expect(() => parseConfig(Values)).not.toThrow();
  });
});
