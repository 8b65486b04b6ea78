// @ts-check
/**
 * How much a local D1 database keeps on disk: the `*.sqlite` files under
 * `<persist-to>/v3/d1/` and their `-wal` files. No SQL, so it measures whatever schema the
 * server has. Two readings:
 *  - `files`: the files' sizes (main + WAL). The WAL holds copies of changed pages until a
 *    checkpoint, and is reused or truncated when workerd decides: the sum jumps by megabytes
 *    either way (a 1,000-delivery phase read 4,072 bytes per delivery one run, 82 another).
 *  - `pages`: page count x page size of each database as of its last commit, read from the
 *    SQLite headers (the main file's, then the newest committed frame of the WAL). That is the
 *    size D1 bills and limits, and it does not depend on when checkpoints run.
 */
import { open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { sleep } from "./stats.mjs";

/**
 * @typedef {{ sqlite: number, wal: number, files: number, pages: number, count: number }} D1Size
 * bytes: `sqlite` main files, `wal` WAL files, `files` both, `pages` in use; `count` databases
 */

const WAL_MAGIC = new Set([0x377f0682, 0x377f0683]);

/**
 * Bytes in use of one SQLite database (page count x page size), from its headers: the newest
 * commit frame of the current WAL generation (frames whose salts match the WAL header), else
 * the main file's header. Null when the main file is not an SQLite database (yet).
 * @param {string} path the main file
 * @returns {Promise<number | null>}
 */
export async function sqliteBytesInUse(path) {
  const header = Buffer.alloc(100);
  let fileSize;
  const fh = await open(path, "r");
  try {
    const { bytesRead } = await fh.read(header, 0, 100, 0);
    if (bytesRead < 100 || header.toString("latin1", 0, 15) !== "SQLite format 3") return null;
    fileSize = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65_536 : raw;
  // The in-header size is valid only when written by the same change as the change counter.
  const inHeader = header.readUInt32BE(28);
  let pages =
    inHeader > 0 && header.readUInt32BE(24) === header.readUInt32BE(92)
      ? inHeader
      : Math.floor(fileSize / pageSize);
  /** @type {Buffer | undefined} */
  let wal;
  try {
    wal = await readFile(`${path}-wal`);
  } catch {
    // no WAL
  }
  const walPageSize = wal && wal.length >= 32 ? wal.readUInt32BE(8) : 0;
  if (wal && walPageSize >= 512 && WAL_MAGIC.has(wal.readUInt32BE(0))) {
    const salt1 = wal.readUInt32BE(16);
    const salt2 = wal.readUInt32BE(20);
    for (let at = 32; at + 24 + walPageSize <= wal.length; at += 24 + walPageSize) {
      // Frames of an earlier generation (before the WAL was restarted) carry other salts.
      if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
      const committedPages = wal.readUInt32BE(at + 4);
      if (committedPages > 0) pages = committedPages;
    }
  }
  return pages * pageSize;
}

/**
 * Current sizes of the D1 databases under `persistDir`; zeros when there are none yet.
 * @param {string} persistDir
 * @returns {Promise<D1Size>}
 */
export async function d1Size(persistDir) {
  const size = { sqlite: 0, wal: 0, files: 0, pages: 0, count: 0 };
  /** @param {string} path */
  const bytes = async (path) => {
    try {
      return (await stat(path)).size;
    } catch {
      return 0; // absent, or removed meanwhile
    }
  };
  /** @param {string} dir */
  const walk = async (dir) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // not created yet
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.name.endsWith(".sqlite")) {
        size.sqlite += await bytes(path);
        size.wal += await bytes(`${path}-wal`);
        size.pages += (await sqliteBytesInUse(path).catch(() => null)) ?? 0;
        size.count++;
      }
    }
  };
  await walk(join(persistDir, "v3", "d1"));
  size.files = size.sqlite + size.wal;
  return size;
}

/**
 * The sizes once two reads 500 ms apart agree (at most `maxMs`): the last batch's writes, and
 * any checkpoint they started, have landed.
 * @param {string} persistDir
 * @param {number} [maxMs]
 */
export async function settledD1Size(persistDir, maxMs = 10_000) {
  const deadline = Date.now() + maxMs;
  let last = await d1Size(persistDir);
  for (;;) {
    await sleep(500);
    const now = await d1Size(persistDir);
    const same = now.sqlite === last.sqlite && now.wal === last.wal && now.pages === last.pages;
    if (same || Date.now() > deadline) return now;
    last = now;
  }
}

/**
 * Bytes D1 kept per delivery beyond what the senders sent: growth less one payload per message,
 * over the deliveries.
 * @param {{ growth: number, messages: number, deliveries: number, payloadBytes: number }} x
 */
export function keptPerDelivery(x) {
  if (x.deliveries <= 0) return null;
  return {
    perDelivery: x.growth / x.deliveries,
    perDeliveryExclPayload: (x.growth - x.messages * x.payloadBytes) / x.deliveries,
  };
}
