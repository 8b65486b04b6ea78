import { z } from "@hono/zod-openapi";
import { HOUR_PATTERN } from "../archive/format";
import { AppParams } from "./common";

/** An hour of the archive: `YYYY-MM-DDTHH`, UTC. */
export const ArchiveHourName = z
  .string()
  .regex(HOUR_PATTERN, "an hour: YYYY-MM-DDTHH (UTC)")
  .openapi({ example: "2026-11-20T13" });

export const ArchiveHourParams = AppParams.extend({
  hour: ArchiveHourName.openapi({ param: { name: "hour", in: "path" } }),
});

export const ArchiveHour = z
  .object({
    hour: ArchiveHourName,
    startsAt: z.string().openapi({ example: "2026-11-20T13:00:00.000Z" }),
    messages: z.number().int(),
    parts: z
      .number()
      .int()
      .openapi({ description: "Objects the hour is stored in: 1 unless it was too big for one." }),
    bytes: z.number().int().openapi({ description: "Compressed size in R2." }),
  })
  .openapi("ArchiveHour");
