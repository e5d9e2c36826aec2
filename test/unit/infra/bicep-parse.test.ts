// Every template parses under tree-sitter-bicep (no Bicep CLI here; CI runs az bicep build and the linter).
import { bicepFiles, parseBicep, parseInfra, syntaxErrors } from "./bicep-syntax";

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
