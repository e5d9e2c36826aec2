import { Redelivery, parseAtLeastOnce } from "../../../dev/durable/redelivery";

function draws(redelivery: Redelivery, count: number): boolean[] {
  return Array.from({ length: count }, () => redelivery.twice());
}

describe("at-least-once delivery choices", () => {
  it("reads seed:probability and refuses anything else", () => {
    expect(parseAtLeastOnce("7:0.3")).toEqual({ seed: 7, probability: 0.3 });
    expect(parseAtLeastOnce(" 12 : 1 ")).toEqual({ seed: 12, probability: 1 });
    expect(parseAtLeastOnce(undefined)).toBeUndefined();
    expect(parseAtLeastOnce("")).toBeUndefined();
    expect(() => parseAtLeastOnce("0.3")).toThrow('at-least-once delivery wants "seed:probability"');
    expect(() => parseAtLeastOnce("7:1.5")).toThrow('got "7:1.5"');
  });

  it("repeats the same choices for the same seed, and is off without options", () => {
    const a = draws(new Redelivery({ seed: 42, probability: 0.5 }), 200);
    expect(draws(new Redelivery({ seed: 42, probability: 0.5 }), 200)).toEqual(a);
    expect(draws(new Redelivery({ seed: 43, probability: 0.5 }), 200)).not.toEqual(a);
    const twice = a.filter(Boolean).length;
    expect(twice).toBeGreaterThan(60);
    expect(twice).toBeLessThan(140);
    expect(draws(new Redelivery(), 50).some(Boolean)).toBe(false);
    expect(draws(new Redelivery({ seed: 1, probability: 1 }), 50).every(Boolean)).toBe(true);
  });

  it("switches off and on again with a fresh seed", () => {
    const redelivery = new Redelivery({ seed: 5, probability: 1 });
    redelivery.configure(undefined);
    expect(redelivery.twice()).toBe(false);
    redelivery.configure({ seed: 42, probability: 0.5 });
    expect(draws(redelivery, 20)).toEqual(draws(new Redelivery({ seed: 42, probability: 0.5 }), 20));
  });
});
