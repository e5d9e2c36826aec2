// Which UPN domains certificates may be issued for (ALLOWED_UPN_DOMAINS). Pure.

/** The UPN's domain, lower-cased: what ALLOWED_UPN_DOMAINS is compared with. */
export function upnDomain(upn: string): string {
  return upn.slice(upn.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * Why a certificate may not be issued for this UPN, or undefined when it may. An empty list allows every domain (the
 * configuration allows that only in the sandbox). Exact domains only: a subdomain is a domain of its own.
 */
export function upnDomainRefusal(upn: string, allowed: readonly string[]): string | undefined {
  if (allowed.length === 0) return undefined;
  const domain = upnDomain(upn);
  if (allowed.includes(domain)) return undefined;
  return `certificates are issued only for UPNs in ${allowed.join(", ")}; ${domain} is not one of them`;
}
