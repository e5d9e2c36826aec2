// Every template parses under tree-sitter-bicep (no Bicep CLI here; CI runs az bicep build and the linter).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bicepFiles, parseBicep, parseInfra, repoRoot, syntaxErrors } from "./bicep-syntax";

describe("infra/*.bicep syntax", () => {
  it("finds the templates", () => {
    expect(bicepFiles().length).toBeGreaterThanOrEqual(9);
  });

  it("parses every template without an error node", async () => {
    const errors = (await parseInfra()).flatMap((t) => syntaxErrors(t.tree).map((e) => `${t.file} ${e}`));
    expect(errors).toEqual([]);
  });

  it("reports a broken template (spread, which the grammar cannot parse)", async () => {
    const t = await parseBicep("broken.bicep", "var a = { b: 1 }\nvar c = { ...a }\n");
    expect(syntaxErrors(t.tree)).toEqual([expect.stringMatching(/^2:\d+ ERROR/)]);
  });
});

describe("host.json for Flex Consumption", () => {
  it("polls the Durable queues at most every few seconds (the default 30 s idles a scaled-in app)", () => {
    const host = JSON.parse(readFileSync(join(repoRoot, "host.json"), "utf8")) as {
      extensions: { durableTask: { storageProvider?: { maxQueuePollingInterval?: string } } };
    };
    const interval = host.extensions.durableTask.storageProvider?.maxQueuePollingInterval ?? "00:00:30";
    const [h, m, s] = interval.split(":").map(Number);
    expect((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)).toBeLessThanOrEqual(5);
  });
});
