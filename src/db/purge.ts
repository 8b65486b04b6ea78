/**
 * Purge jobs: deletes that answered at once and finish in the background, a bounded chunk of
 * rows at a time (the sweeper runs them).
 */

export interface PurgeJob {
  kind: "app" | "endpoint";
  id: string;
  created_at: number;
}

/** Schedules the background purge of an app's or an endpoint's rows. */
export function purgeJobStatement(db: D1Database, kind: PurgeJob["kind"], id: string, now: number) {
  return db
    .prepare("INSERT OR IGNORE INTO purge_jobs (kind, id, created_at) VALUES (?, ?, ?)")
    .bind(kind, id, now);
}

/** The oldest purge jobs, endpoints first (an app's endpoints are purged before the app). */
export async function purgeJobs(db: D1Database, limit: number): Promise<PurgeJob[]> {
  const { results } = await db
    .prepare("SELECT * FROM purge_jobs ORDER BY kind DESC, created_at LIMIT ?")
    .bind(limit)
    .all<PurgeJob>();
  return results;
}

/**
 * One chunk of a job: up to `limit` rows of each table it empties. Returns how many rows went;
 * the job is done (and removed, with the app's own row for an app) once a chunk finds nothing.
 */
export async function purgeChunk(db: D1Database, job: PurgeJob, limit: number): Promise<number> {
  const statements =
    job.kind === "endpoint"
      ? [
          db
            .prepare(
              `DELETE FROM open_deliveries WHERE endpoint_id = ?1 AND message_id IN
                 (SELECT message_id FROM open_deliveries WHERE endpoint_id = ?1 LIMIT ?2)`,
            )
            .bind(job.id, limit),
        ]
      : [
          db
            .prepare(
              `DELETE FROM idempotency_keys WHERE app_id = ?1 AND key IN
                 (SELECT key FROM idempotency_keys WHERE app_id = ?1 LIMIT ?2)`,
            )
            .bind(job.id, limit),
          db
            .prepare(
              `DELETE FROM messages WHERE app_id = ?1 AND id IN
                 (SELECT id FROM messages WHERE app_id = ?1 LIMIT ?2)`,
            )
            .bind(job.id, limit),
          db
            .prepare(
              `DELETE FROM attempt_log WHERE (app_id, bucket, id) IN
                 (SELECT app_id, bucket, id FROM attempt_log WHERE app_id = ?1 LIMIT ?2)`,
            )
            .bind(job.id, limit),
          db
            .prepare(
              `DELETE FROM dead_letters WHERE (app_id, message_id, endpoint_id) IN
                 (SELECT app_id, message_id, endpoint_id FROM dead_letters WHERE app_id = ?1 LIMIT ?2)`,
            )
            .bind(job.id, limit),
        ];
  const results = await db.batch(statements);
  const removed = results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  if (removed === 0) {
    const done = [
      db.prepare("DELETE FROM purge_jobs WHERE kind = ? AND id = ?").bind(job.kind, job.id),
    ];
    // The trail outlives the app: audit entries and operator events stay.
    if (job.kind === "app")
      done.push(
        db.prepare("DELETE FROM apps WHERE id = ? AND deleted_at IS NOT NULL").bind(job.id),
      );
    await db.batch(done);
  }
  return removed;
}
