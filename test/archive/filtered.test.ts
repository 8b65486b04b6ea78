import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  gunzip,
  hourOf,
  hourOfMessage,
  hourStart,
  linesOf,
  parseLine,
  partKey,
} from "../../src/archive/format";
import { archiveShard } from "../../src/archive/sweep";
import { acceptStatements, fanOutColumn, type StoredMessage } from "../../src/db/messages";
import { idFloor, newId } from "../../src/lib/ids";
import { call, newApp, newEndpoint } from "../helpers";

describe("archive: a message's filtered endpoints", () => {
  it("go to R2 with the message and are shown when it is read back from the archive", async () => {
    const { appId, key } = await newApp("archived-filters");
    const taken = await newEndpoint(appId);
    const refused = await newEndpoint(appId, { filter: { n: 2 } });
    // Ten minutes into an hour eight days ago: past D1_RETENTION_DAYS.
    const at = hourStart(hourOf(Date.now() - 8 * 86_400_000)) + 600_000;
    const id = `${idFloor("msg", at)}${newId("msg").slice(-16)}`;
    const msg: StoredMessage = {
      id,
      app_id: appId,
      event_type: "invoice.paid",
      payload: '{"n":1}',
      event_id: null,
      idempotency_key: null,
      endpoints: fanOutColumn([taken.id]),
      filtered: fanOutColumn([refused.id]),
    };
    await env.DB.batch(acceptStatements(env.DB, msg, [], at));
    // As if the sweeper had already handed out its delivery: only swept messages are archived.
    await env.DB.prepare("UPDATE apps SET swept_to = ? WHERE id = ?").bind(`${id}~`, appId).run();

    await archiveShard(env, env.ARCHIVE, env.DB, Date.now(), () => true, {
      messages: 0,
      logRows: 0,
      deadLetters: 0,
      idempotencyKeys: 0,
      archived: 0,
      archiveHoursExpired: 0,
    });
    const obj = await env.ARCHIVE.get(partKey(appId, hourOfMessage(id), 1));
    const lines = obj ? linesOf(await gunzip(obj.body)) : [];
    expect(parseLine(lines[0] ?? "{}").filtered).toEqual([refused.id]);

    const read = await call<{ archived?: boolean; filtered?: string[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${id}`,
      { token: key },
    );
    expect(read.body).toMatchObject({ archived: true, filtered: [refused.id] });
  });
});
