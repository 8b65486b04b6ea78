import { z } from "@hono/zod-openapi";
import { FILTER_LIMITS } from "../filters";

/**
 * An endpoint's payload filter as the API takes and shows it. zod checks only that it is an
 * object; the language and its bounds are checked by `compileFilter` on the exact text (so a
 * problem names its place as `/filter/...`, and big numbers are not rounded on the way).
 */
export const PayloadFilter = z.record(z.string(), z.unknown()).openapi({
  description: `A MongoDB-style query over the payload, evaluated at ingest: a message that does not match creates no delivery for this endpoint (its detail lists the endpoint under \`filtered\`). Keys are dotted paths (\`customer.tier\`, \`items.0.sku\`); a bare value means equality; operators \`$eq $ne $in $nin $gt $gte $lt $lte $exists $regex\` (with \`$options\`: i, m, s), combined with \`$and\`, \`$or\` and \`$not\`. Numbers compare exactly, big integers included. At most ${FILTER_LIMITS.depth} levels deep, ${FILTER_LIMITS.nodes} values, ${FILTER_LIMITS.inList} values per \`$in\`, ${FILTER_LIMITS.regexes} \`$regex\`; patterns are refused when they could backtrack badly. See the README, "Payload filters".`,
  example: { "customer.tier": { $in: ["gold"] }, amount: { $gte: 100 } },
});

export const FilterTest = z
  .object({
    payload: z.record(z.string(), z.unknown()).openapi({ description: "A payload to test." }),
    filter: PayloadFilter.optional().openapi({
      description: "A filter to try instead of the endpoint's saved one.",
    }),
  })
  .strict();

export const FilterTestResult = z
  .object({
    matches: z.boolean(),
  })
  .openapi("FilterTestResult");
