// The names and subjects of the roots rotations make: the first root is the configured one, each next generation a
// distinct Key Vault name and a distinct subject (never two trusted roots with one subject).
import { rootNameOf, rootSubjectOf } from "../../../src/domain/root-generation";

describe("rootNameOf", () => {
  it("keeps the configured name for generation 1 and suffixes -g<N> after", () => {
    expect(rootNameOf("p2s-root-ca", 1)).toBe("p2s-root-ca");
    expect(rootNameOf("p2s-root-ca", 2)).toBe("p2s-root-ca-g2");
    expect(rootNameOf("p2s-root-ca", 12)).toBe("p2s-root-ca-g12");
  });

  it("refuses a generation below 1 and a name Key Vault would refuse", () => {
    expect(() => rootNameOf("p2s-root-ca", 0)).toThrow(/generation 0/);
    expect(() => rootNameOf("p2s-root-ca", 1.5)).toThrow(/generation 1.5/);
    expect(() => rootNameOf("r".repeat(125), 2)).toThrow(/not a Key Vault object name/);
  });
});

describe("rootSubjectOf", () => {
  it("keeps the configured subject for generation 1", () => {
    expect(rootSubjectOf("CN=P2S Root CA, O=p2s-lifecycle", 1)).toBe("CN=P2S Root CA, O=p2s-lifecycle");
  });

  it("suffixes the CN, wherever it is, and keeps every other attribute", () => {
    expect(rootSubjectOf("CN=P2S Root CA, O=p2s-lifecycle", 2)).toBe("CN=P2S Root CA G2, O=p2s-lifecycle");
    expect(rootSubjectOf("O=Contoso, CN=VPN Root ,C=NL", 3)).toBe("O=Contoso, CN=VPN Root G3,C=NL");
    expect(rootSubjectOf("cn=Escaped\\, Root,O=X", 2)).toBe("cn=Escaped\\, Root G2,O=X");
  });

  it("adds a CN to a subject that has none", () => {
    expect(rootSubjectOf("O=Contoso", 2)).toBe("CN=P2S Root CA G2, O=Contoso");
  });
});
