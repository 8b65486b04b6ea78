/**
 * Platform operation counters for the benchmark: D1 queries and rows, queue messages, Durable
 * Object requests, outbound subrequests. Off unless the var `OPS_COUNTERS` is "true"; when off,
 * `instrument` hands back the env untouched, so production pays one comparison per invocation.
 * Counters are per isolate (one isolate under `wrangler dev`).
 */
export interface OpsCounters {
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  queueSent: number;
  queueReceived: number;
  queueAcked: number;
  queueRetried: number;
  doRequests: number;
  subrequests: number;
}

const counters: OpsCounters = zero();
let enabled = false;

function zero(): OpsCounters {
  return {
    d1Queries: 0,
    d1RowsRead: 0,
    d1RowsWritten: 0,
    queueSent: 0,
    queueReceived: 0,
    queueAcked: 0,
    queueRetried: 0,
    doRequests: 0,
    subrequests: 0,
  };
}

/** Adds to a counter (a no-op unless counting is on). */
export function countOp(name: keyof OpsCounters, n = 1): void {
  if (enabled) counters[name] += n;
}

/** A copy of the counters. */
export function readOps(): OpsCounters {
  return { ...counters };
}

/** Zeroes the counters. */
export function resetOps(): void {
  Object.assign(counters, zero());
}

const wrapped = new WeakMap<object, Env>();

/** The env to use for this invocation: counting wrappers around the bindings when enabled. */
export function instrument(env: Env): Env {
  if (env.OPS_COUNTERS !== "true") return env;
  enabled = true;
  let out = wrapped.get(env);
  if (!out) {
    const bag: Record<string, unknown> = {
      ...env,
      DEAD_LETTERS: countingQueue(env.DEAD_LETTERS),
      ENDPOINT_GATE: countingNamespace(env.ENDPOINT_GATE),
    };
    // Every shard and delivery queue, numbered or not (see lib/topology.ts).
    for (const [name, value] of Object.entries(env)) {
      if (/^DB(_\d+)?$/.test(name)) bag[name] = countingD1(value as D1Database);
      else if (/^DELIVERIES(_\d+)?$/.test(name)) bag[name] = countingQueue(value as Queue);
    }
    out = bag as unknown as Env;
    wrapped.set(env, out);
  }
  return out;
}

/** Counts received, acked and retried messages of a queue batch. */
export function instrumentBatch<T>(batch: MessageBatch<T>): MessageBatch<T> {
  if (!enabled) return batch;
  countOp("queueReceived", batch.messages.length);
  const messages = batch.messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack: () => {
      countOp("queueAcked");
      m.ack();
    },
    retry: (options?: QueueRetryOptions) => {
      countOp("queueRetried");
      m.retry(options);
    },
  }));
  return {
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll: () => {
      countOp("queueAcked", messages.length);
      batch.ackAll();
    },
    retryAll: (options?: QueueRetryOptions) => {
      countOp("queueRetried", messages.length);
      batch.retryAll(options);
    },
  } as MessageBatch<T>;
}

function addMeta(meta: { rows_read?: number; rows_written?: number } | undefined): void {
  countOp("d1Queries");
  countOp("d1RowsRead", meta?.rows_read ?? 0);
  countOp("d1RowsWritten", meta?.rows_written ?? 0);
}

const realStatement = new WeakMap<object, D1PreparedStatement>();

function countingStatement(stmt: D1PreparedStatement): D1PreparedStatement {
  const proxy: D1PreparedStatement = {
    bind: (...values: unknown[]) => countingStatement(stmt.bind(...values)),
    async first<T>(column?: string): Promise<T | null> {
      // `first()` returns no meta; run as `all()` to see the rows it cost.
      const res = await stmt.all<Record<string, unknown>>();
      addMeta(res.meta);
      const row = res.results[0];
      if (!row) return null;
      return (column === undefined ? row : row[column]) as T;
    },
    async run<T>() {
      const res = await stmt.run<T>();
      addMeta(res.meta);
      return res;
    },
    async all<T>() {
      const res = await stmt.all<T>();
      addMeta(res.meta);
      return res;
    },
    async raw<T>(options?: { columnNames?: boolean }) {
      countOp("d1Queries");
      return stmt.raw<T>(options as { columnNames: true }) as never;
    },
  } as D1PreparedStatement;
  realStatement.set(proxy, stmt);
  return proxy;
}

function countingD1(db: D1Database): D1Database {
  return {
    prepare: (sql: string) => countingStatement(db.prepare(sql)),
    async batch<T>(statements: D1PreparedStatement[]) {
      const res = await db.batch<T>(statements.map((s) => realStatement.get(s) ?? s));
      for (const r of res) addMeta(r.meta);
      return res;
    },
    exec: (sql: string) => db.exec(sql),
    withSession: (constraint?: string) => db.withSession(constraint),
    dump: () => db.dump(),
  } as D1Database;
}

function countingQueue(queue: Queue): Queue {
  return {
    async send(body: unknown, options?: QueueSendOptions) {
      countOp("queueSent");
      return queue.send(body, options);
    },
    async sendBatch(messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) {
      const list = [...messages];
      countOp("queueSent", list.length);
      return queue.sendBatch(list, options);
    },
  } as Queue;
}

function countingNamespace(ns: Env["ENDPOINT_GATE"]): Env["ENDPOINT_GATE"] {
  return new Proxy(ns, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== "get" || typeof value !== "function")
        return typeof value === "function" ? value.bind(target) : value;
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, {
          get(s, method, r) {
            const fn = Reflect.get(s, method, r);
            if (typeof fn !== "function") return fn;
            return (...args: unknown[]) => {
              countOp("doRequests");
              // Not fn.apply: on an RPC stub, `.apply` would be taken as a remote method name.
              return Reflect.apply(fn, s, args);
            };
          },
        });
      };
    },
  });
}
