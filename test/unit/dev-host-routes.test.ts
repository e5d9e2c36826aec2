// Route templates as the Functions host matches them.
import { comparePrecedence, parseRouteTemplate, RouteTemplateError, splitPath } from "../../dev/host/routes";

const match = (template: string, path: string): Record<string, string> | undefined =>
  parseRouteTemplate(template).match(splitPath(path) ?? []);

describe("route templates", () => {
  it("matches literals case-insensitively and captures parameters", () => {
    expect(match("users/{id}/certs", "/Users/u1/CERTS")).toEqual({ id: "u1" });
    expect(match("users/{id}/certs", "/users/u1")).toBeUndefined();
    expect(match("users/{id}/certs", "/users/u1/certs/extra")).toBeUndefined();
  });

  it("handles optional parameters, defaults and the catch-all", () => {
    expect(match("items/{id}/{slug?}", "/items/1")).toEqual({ id: "1" });
    expect(match("items/{id}/{slug?}", "/items/1/x")).toEqual({ id: "1", slug: "x" });
    expect(match("pages/{page=1}", "/pages")).toEqual({ page: "1" });
    expect(match("files/{*rest}", "/files/a/b%20c")).toEqual({ rest: "a/b c" });
  });

  it("applies constraints", () => {
    expect(match("n/{v:int}", "/n/-12")).toEqual({ v: "-12" });
    expect(match("n/{v:int}", "/n/2147483648")).toBeUndefined();
    expect(match("n/{v:long}", "/n/2147483648")).toEqual({ v: "2147483648" });
    expect(match("n/{v:bool}", "/n/TRUE")).toEqual({ v: "TRUE" });
    expect(match("n/{v:alpha:minlength(3)}", "/n/ab")).toBeUndefined();
    expect(match("n/{v:range(1,5)}", "/n/5")).toEqual({ v: "5" });
    expect(match("n/{v:range(1,5)}", "/n/6")).toBeUndefined();
    expect(match("n/{v:length(2)}", "/n/abc")).toBeUndefined();
    expect(match("n/{v:guid}", "/n/5F0C7B4E-2F6A-4D7E-9A51-0B8F3C2D1E77")).toBeDefined();
  });

  it("ranks literal over constrained over plain over catch-all", () => {
    const ranked = ["x/{*rest}", "x/{name}", "x/{id:int}", "x/latest"]
      .map(parseRouteTemplate)
      .sort((a, b) => comparePrecedence(a.precedence, b.precedence))
      .map((route) => route.template);
    expect(ranked).toEqual(["x/latest", "x/{id:int}", "x/{name}", "x/{*rest}"]);
  });

  it.each([
    ["a/{*rest}/b", /catch-all/],
    ["a/{x?}/b", /optional/],
    ["a/{x}/{X}", /appears twice/],
    ["a/{x:regex(^a$)}", /unsupported route constraint "regex"/],
    ["a/pre{x}", /only whole-segment/],
    ["a/{x:min}", /needs 1 numeric/],
  ])("rejects %s", (template, message) => {
    expect(() => parseRouteTemplate(template)).toThrow(RouteTemplateError);
    expect(() => parseRouteTemplate(template)).toThrow(message);
  });
});
