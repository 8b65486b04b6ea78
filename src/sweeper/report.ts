/** What one sweep did: the counts it logs and returns, per shard and summed over shards. */

export interface SweepReport {
  /** First tries found lost (no outcome, no open row): now open rows, woken. */
  requeued: number;
  /** Handed-out open rows whose consumer vanished: handed back. */
  lost: number;
  /** Deliveries lost too often (their consumer kept dying): now dead. */
  crashed: number;
  /** Deliveries whose retry window closed while they were still open: now dead. */
  expired: number;
  /** Endpoints woken for deliveries that waited too long for their gate's wake. */
  woken: number;
  /** Operator events sent on to OPERATOR_APP_ID as messages. */
  notices: number;
  /** Apps whose move to another shard finished. */
  moved: number;
  purged: {
    messages: number;
    logRows: number;
    deadLetters: number;
    idempotencyKeys: number;
    /** Rotated-out signing secrets past their grace period. */
    expiredSecrets: number;
    /** Messages moved to the R2 archive (also counted in `messages`: they left D1). */
    archived: number;
    /** Archived hours deleted from R2 after ARCHIVE_RETENTION_DAYS. */
    archiveHoursExpired: number;
    /** Audit entries older than AUDIT_RETENTION_DAYS. */
    auditEntries: number;
    /** Rows of deleted apps and endpoints, removed in the background. */
    deleted: number;
  };
}

/** A report of a sweep that did nothing yet. */
export function emptyReport(): SweepReport {
  return {
    requeued: 0,
    lost: 0,
    crashed: 0,
    expired: 0,
    woken: 0,
    notices: 0,
    moved: 0,
    purged: {
      messages: 0,
      logRows: 0,
      deadLetters: 0,
      idempotencyKeys: 0,
      archived: 0,
      archiveHoursExpired: 0,
      expiredSecrets: 0,
      auditEntries: 0,
      deleted: 0,
    },
  };
}

export function addReports(a: SweepReport, b: SweepReport): SweepReport {
  const sum = <T extends Record<string, number>>(x: T, y: T): T =>
    Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v + (y[k] ?? 0)])) as T;
  const { purged: pa, ...ca } = a;
  const { purged: pb, ...cb } = b;
  return { ...sum(ca, cb), purged: sum(pa, pb) };
}
