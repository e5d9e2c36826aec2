// ALLOWED_UPN_DOMAINS: exact domains, compared without case; an empty list (sandbox only) allows every domain.
import { upnDomain, upnDomainRefusal } from "../../../src/domain/upn-domains";

describe("upnDomainRefusal", () => {
  const allowed = ["contoso.com", "fabrikam.co.uk"];

  it("allows the listed domains whatever the case", () => {
    expect(upnDomainRefusal("Ada@Contoso.COM", allowed)).toBeUndefined();
    expect(upnDomainRefusal("bob@fabrikam.co.uk", allowed)).toBeUndefined();
  });

  it("refuses other domains, subdomains and look-alikes, naming the allowed ones", () => {
    expect(upnDomainRefusal("mallory@evil.com", allowed)).toBe(
      "certificates are issued only for UPNs in contoso.com, fabrikam.co.uk; evil.com is not one of them",
    );
    for (const upn of ["x@sub.contoso.com", "x@contoso.com.evil.com", "x@notcontoso.com", "x@contoso.co"]) {
      expect(upnDomainRefusal(upn, allowed)).toMatch(/is not one of them$/);
    }
  });

  it("allows every domain when the list is empty", () => {
    expect(upnDomainRefusal("anyone@anywhere.example", [])).toBeUndefined();
  });

  it("takes the domain after the last @", () => {
    expect(upnDomain("Ada@Contoso.com")).toBe("contoso.com");
  });
});
