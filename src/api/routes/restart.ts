import { z } from "@hono/zod-openapi";

/** Most deliveries one bulk replay or recover call restarts; call again for the rest. */
export const BULK_LIMIT_MAX = 1000;

export const Time = z.iso.datetime({ offset: true });

/** The answer of replay and recover. */
export const Restarted = z
  .object({
    restarted: z.number().int(),
    more: z.boolean().openapi({ description: "More matched than were restarted." }),
  })
  .openapi("Restarted");
