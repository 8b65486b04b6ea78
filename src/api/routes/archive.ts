import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { type ArchivedMessage, HOUR_PATTERN, hourStart } from "../../archive/format";
import { archiveBucket, type HourSummary, hourMessages, listHours } from "../../archive/store";
import { iso } from "../../db/page";
import { ArchiveHour, ArchiveHourParams } from "../../schemas/archive";
import { AppParams, jsonResponse, PageQuery, pageOf, problems } from "../../schemas/common";
import { Message } from "../../schemas/messages";
import { markArchived, toArchivedMessage } from "../archived";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { exactJson } from "../exact-json";
import { ApiError, badRequest, notFound } from "../problem";
import { validationHook } from "../validation";

/** A deployment without an ARCHIVE bucket deletes what leaves D1: there is nothing to list. */
const noArchive = () =>
  new ApiError(404, "Not Found", "This deployment keeps no archive (no ARCHIVE bucket).");

/** An app's archive in R2: its hours, and the messages of one hour. */
export const archive = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Archive"];

archive.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/archive",
    operationId: "listArchiveHours",
    tags,
    summary: "List the app's archived hours, oldest first",
    description:
      "Messages leave D1 after D1_RETENTION_DAYS for the R2 archive, one object per app and hour of their creation (UTC), and are deleted from it after ARCHIVE_RETENTION_DAYS. Each archived message can still be read by id (`GET .../messages/{messageId}`, marked `archived: true`). 404 when the deployment has no archive bucket.",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of archived hours", pageOf(ArchiveHour)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    if (after !== null && !HOUR_PATTERN.test(after))
      throw badRequest("The cursor is not one this API handed out.", [
        { field: "cursor", detail: "invalid cursor" },
      ]);
    const bucket = archiveBucket(c.env);
    if (!bucket) throw noArchive();
    const hours = await listHours(bucket, appId, limit, after);
    return c.json(
      toPage(
        hours,
        limit,
        (h) => h.hour,
        (h: HourSummary) => ({ ...h, startsAt: iso(hourStart(h.hour)) }),
      ),
      200,
    );
  },
);

archive.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/archive/{hour}",
    operationId: "getArchiveHour",
    tags,
    summary: "The messages of one archived hour, oldest first",
    description:
      "Each as `GET .../messages/{messageId}` shows it, with `archived: true`: the payload as sent and each delivery's status when the message left D1.",
    request: { params: ArchiveHourParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of archived messages", pageOf(Message)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId, hour } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const bucket = archiveBucket(c.env);
    if (!bucket) throw noArchive();
    const found = await hourMessages(bucket, appId, hour, limit, after);
    if (!found) throw notFound("Archived hour");
    return markArchived(
      exactJson(
        (payload) =>
          toPage(
            found,
            limit,
            (m: ArchivedMessage) => m.id,
            (m) => toArchivedMessage(m, appId, payload),
          ),
        200,
      ),
    );
  },
);
