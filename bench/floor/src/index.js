/**
 * Bench floor worker: the minimum a webhook pipeline on D1 + Queues can do, to compare Hooklane
 * against in the same run (see bench/run.mjs and docs/BENCHMARKS.md).
 *
 *  - `POST /ingest/<phase>` with a JSON body: one D1 insert, one queue send, then 202 `{ id }`.
 *  - queue consumer: one `fetch` POST per message to `<TARGET_BASE>/f/<phase>`, then ack
 *    (retry when the receiver does not answer 2xx).
 *  - `GET /healthz`: liveness.
 *
 * No auth, no validation beyond JSON parsing, no signing: anything more is Hooklane's cost.
 * Plain JS so the repo's TypeScript projects need no Workers types for it.
 */

export default {
  /**
   * @param {Request} request
   * @param {{ DB: any, WORK: any, TARGET_BASE: string }} env
   */
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/healthz") return new Response("ok");
    const m = /^\/ingest\/([a-z0-9-]{1,32})$/.exec(url.pathname);
    if (request.method !== "POST" || m === null) return new Response("not found", { status: 404 });
    const text = await request.text();
    try {
      JSON.parse(text);
    } catch {
      return new Response("bad json", { status: 400 });
    }
    const id = `msg_${crypto.randomUUID()}`;
    const phase = m[1];
    await env.DB.prepare(
      "INSERT INTO messages (id, phase, payload, created_at) VALUES (?, ?, ?, ?)",
    )
      .bind(id, phase, text, Date.now())
      .run();
    await env.WORK.send({ id, phase, payload: text }, { contentType: "json" });
    return Response.json({ id }, { status: 202 });
  },

  /**
   * @param {{ messages: { body: { id: string, phase: string, payload: string }, ack(): void, retry(): void }[] }} batch
   * @param {{ TARGET_BASE: string }} env
   */
  async queue(batch, env) {
    await Promise.all(
      batch.messages.map(async (message) => {
        const { id, phase, payload } = message.body;
        try {
          const res = await fetch(`${env.TARGET_BASE}/f/${phase}`, {
            method: "POST",
            headers: { "content-type": "application/json", "webhook-id": id },
            body: payload,
          });
          await res.arrayBuffer();
          if (res.ok) message.ack();
          else message.retry();
        } catch {
          message.retry();
        }
      }),
    );
  },
};
