// Settings of ticketing requests (issue 11): the second shared secret that lets TICKETING_SHARED_SECRET be rotated.
import { z } from "zod";
import { optionalString } from "./config-parts";

export const ticketingSettings = {
  TICKETING_SHARED_SECRET_PREVIOUS: optionalString
    .pipe(z.string().min(32, "must be at least 32 characters").optional())
    .describe(
      "The shared secret being rotated out: while set, ticket requests signed with it are accepted as well as those signed with TICKETING_SHARED_SECRET. To rotate, move the current secret here, set the new one, switch the ticketing system over, then clear this. A Key Vault reference in Azure.",
    ),
};
