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

  it("takes letters, digits and dashes up to 127 characters, and refuses any other character anywhere", () => {
    expect(rootNameOf("r".repeat(124), 2)).toBe(`${"r".repeat(124)}-g2`);
    expect(rootNameOf("r".repeat(127), 1)).toBe("r".repeat(127));
    expect(rootNameOf("P2S-Root-CA9", 3)).toBe("P2S-Root-CA9-g3");
    for (const bad of ["_root", "root_", "ro ot", "root.ca", ""]) {
      expect(() => rootNameOf(bad, 1)).toThrow(`root name ${bad} is not a Key Vault object name`);
    }
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

  it("finds the CN attribute only at an attribute's start, with spaces around it, and trims the value's end", () => {
    expect(rootSubjectOf("CN = Spaced Root , O=X", 2)).toBe("CN = Spaced Root G2, O=X");
    expect(rootSubjectOf(" CN=Root", 3)).toBe(" CN=Root G3");
    expect(rootSubjectOf("O=ACN=x, CN=Real", 2)).toBe("O=ACN=x, CN=Real G2");
    expect(rootSubjectOf("CN=Root  \t,O=X", 2)).toBe("CN=Root G2,O=X");
    expect(rootSubjectOf("OU=Ops,CN=Root\\\\,O=X", 2)).toBe("OU=Ops,CN=Root\\\\ G2,O=X");
  });

  it("refuses a generation below 1 or not whole", () => {
    expect(() => rootSubjectOf("CN=Root", 0)).toThrow("root generation 0 is not valid");
    expect(() => rootSubjectOf("CN=Root", 2.5)).toThrow("root generation 2.5 is not valid");
  });

  it("adds a CN to a subject that has none", () => {
    expect(rootSubjectOf("O=Contoso", 2)).toBe("CN=P2S Root CA G2, O=Contoso");
  });
});
