// Building blocks of the settings schema (config.ts and its per-area parts).
import { z } from "zod";

export const httpsUrl = z
  .url()
  .trim()
  // Only for a URL: a value that is none is reported once, not again as "not https".
  .refine((u) => u.startsWith("https://"), {
    message: "must be an https:// URL",
    when: (payload) => payload.issues.length === 0,
  });

/** An https origin (scheme, host, optional port; no path, query or fragment), normalised as URL.origin writes it. */
export const httpsOrigin = httpsUrl
  .refine(
    (u) => {
      const url = new URL(u);
      return url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
    },
    {
      message: "must be an https origin (no path, query or credentials)",
      when: (payload) => payload.issues.length === 0,
    },
  )
  .transform((u) => new URL(u).origin);

export const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === "" ? undefined : s))
  .optional();

export const intInRange = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const csv = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(/[,;\s]+/)
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  );
