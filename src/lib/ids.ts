/**
 * Prefixed, time-sortable ids (ULID layout: 48-bit ms timestamp + 80 random bits, Crockford
 * base32). Monotonic within an isolate, so ids made in one millisecond still sort in the order
 * they were made: FIFO endpoints and cursor pagination both rely on that.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdPrefix =
  | "app"
  | "key"
  | "ap"
  | "aps"
  | "ep"
  | "msg"
  | "dlv"
  | "att"
  | "evt"
  | "aud"
  | "ps"
  | "bat";

let lastTime = -1;
const lastRandom = new Uint8Array(10);

function encodeTime(time: number): string {
  let out = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(t % 32) + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base32 chars, 5 bits at a time.
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET.charAt((buffer >> bits) & 31);
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

function incrementRandom(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i] ?? 0) + 1;
    bytes[i] = next & 0xff;
    if (next <= 0xff) return;
  }
}

/** A new id such as `msg_01JD0Z6Q3K8V1W2X3Y4Z5A6B7C`. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom(lastRandom);
  } else {
    lastTime = now;
    crypto.getRandomValues(lastRandom);
    // Leave headroom so increments within one millisecond never wrap.
    lastRandom[0] = (lastRandom[0] ?? 0) & 0x7f;
  }
  return `${prefix}_${encodeTime(lastTime)}${encodeRandom(lastRandom)}`;
}

/** The smallest id with this prefix made at `time` or later: ids below it are older. */
export function idFloor(prefix: IdPrefix, time: number): string {
  return `${prefix}_${encodeTime(time)}`;
}

/**
 * A delivery is one message to one endpoint; its id is the pair itself (`dlv_` + the message's
 * and the endpoint's ULIDs), so nothing has to store it.
 */
export function deliveryId(messageId: string, endpointId: string): string {
  return `dlv_${messageId.slice(4)}${endpointId.slice(3)}`;
}

/** The message and endpoint a delivery id names, or null when it is not one. */
export function parseDeliveryId(id: string): { messageId: string; endpointId: string } | null {
  if (!/^dlv_[0-9A-HJKMNP-TV-Z]{52}$/.test(id)) return null;
  return { messageId: `msg_${id.slice(4, 30)}`, endpointId: `ep_${id.slice(30)}` };
}

/**
 * The creation time (ms) an id carries in its ULID, so nothing has to store it beside the id
 * (a message's `createdAt` is read this way).
 */
export function timeOfId(id: string): number {
  const start = id.indexOf("_") + 1;
  let t = 0;
  for (const ch of id.slice(start, start + 10)) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}

/** Characters of a message id that name its creation second (1.024 s): the attempt log's bucket. */
const BUCKET_LENGTH = 12;
/** The milliseconds one bucket spans: the ids' last two time characters. */
const BUCKET_MS = 1024;

/** The attempt-log bucket of a message: the messages created in the same second share it. */
export function bucketOf(messageId: string): string {
  return messageId.slice(0, BUCKET_LENGTH);
}

/** The bucket `n` seconds after this one (before it when `n` is negative). */
export function bucketAfter(bucket: string, n: number): string {
  return bucketOf(idFloor("msg", timeOfId(`${bucket}00`) + n * BUCKET_MS));
}
