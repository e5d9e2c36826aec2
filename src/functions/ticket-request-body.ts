// The body of POST /api/v1/requests: what a ticket may ask, checked field by field so a refusal names the field.
import { z } from "zod";
import { parseUpn } from "../domain/upn";
import { requestIdSchema } from "./http-validation";

/** Ticket bodies are small; anything past this is refused while it is read. */
export const TICKET_BODY_MAX_BYTES = 64 * 1024;

/** Free text that reaches the audit: no control characters. */
const text = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .refine((value) => !hasControl(value), "must not contain control characters");

function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

const upnField = z.string().transform((value, ctx) => {
  const parsed = parseUpn(value);
  if (parsed.ok) return parsed.upn;
  ctx.addIssue({ code: "custom", message: parsed.reason });
  return z.NEVER;
});

export const ticketRequestSchema = z
  .object({
    action: z.enum(["onboard", "offboard", "reissue"]),
    upn: upnField,
    ticketId: requestIdSchema,
    requestedBy: text.optional(),
    reason: text.optional(),
    ticketCreatedAt: z.iso.datetime({ offset: true }).optional(),
    callbackUrl: z.string().max(2048).optional(),
    lostDevice: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.lostDevice === true && body.action !== "reissue") {
      ctx.addIssue({ code: "custom", path: ["lostDevice"], message: "applies to reissue only" });
    }
  });

export type TicketRequest = z.infer<typeof ticketRequestSchema>;
