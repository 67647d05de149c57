/**
 * Sending a body from a ReadableStream, shared by the server (responses) and the client (requests).
 *
 * Backpressure: a chunk is read from the stream only after the previous one has been written, and
 * `write` resolves only when the transport has taken the bytes. A peer that stops reading therefore
 * stops the stream from being pulled: nothing here buffers more than the read-ahead below.
 */
import { concat } from "../bytes.ts";
import { encodeChunk, encodeLastChunk } from "./chunked.ts";
import type { BodyFraming } from "./framing.ts";

/**
 * Hands bytes to the connection; resolves when it has taken them. `last` marks the final write of a
 * message (it may be empty), so that a connection about to close can send its close along with it.
 */
export type Write = (bytes: Uint8Array, last: boolean) => Promise<void>;

const empty = new Uint8Array(0);

/** A body whose first chunks were read ahead, to learn its length when it is short and ready. */
export interface PeekedBody {
  chunks: Uint8Array[];
  length: number;
  /** The stream ended within the read-ahead: `length` is the whole body, so it can be announced. */
  complete: boolean;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** A read already started that has not settled yet; it is awaited before reading again. */
  pending: Promise<ReadableStreamReadResult<Uint8Array>> | null;
}

/**
 * How much is read ahead at most; it is held in memory until the head goes out, and the head and the
 * read-ahead go out in one write (one TLS record when small) where they fit in this much.
 */
const readAheadBytes = 16 * 1024;
const coalesceBytes = 16 * 1024;
/**
 * How many microtask turns a read may take to count as "ready now". A body made from a string or bytes
 * settles within two or three on Deno, Bun and Node; a stream that waits for I/O or a timer never does,
 * so its head is sent at once (chunked) instead of waiting for data that is not there yet.
 */
const settleTicks = 8;

async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let i = 0; i < settleTicks && !settled; i++) await undefined;
  return settled;
}

/** Reads ahead while chunks are immediately available, up to `readAheadBytes`. */
export async function peekBody(stream: ReadableStream<Uint8Array>): Promise<PeekedBody> {
  const reader = stream.getReader();
  const peeked: PeekedBody = { chunks: [], length: 0, complete: false, reader, pending: null };
  try {
    while (peeked.length < readAheadBytes) {
      const read = reader.read();
      if (!(await settlesSoon(read))) {
        peeked.pending = read;
        return peeked;
      }
      const result = await read;
      if (result.done) {
        peeked.complete = true;
        return peeked;
      }
      const chunk = asBytes(result.value);
      if (chunk.length === 0) continue;
      peeked.chunks.push(chunk);
      peeked.length += chunk.length;
    }
    return peeked;
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  }
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TypeError("body stream chunks must be Uint8Array");
}

/** A body that was longer or shorter than the length announced in its head. */
export class BodyLengthError extends Error {
  constructor(announced: number, sent: number) {
    super(`body of ${sent > announced ? "more than " : ""}${sent} bytes, ${announced} announced`);
    this.name = "BodyLengthError";
  }
}

/**
 * Writes `head` and then the body under `framing`. On any failure (the stream errors, a write fails, the
 * length disagrees) the stream is cancelled and the error is rethrown: the caller must then close the
 * connection, since the message on the wire is incomplete.
 */
export async function writeMessage(write: Write, head: Uint8Array, body: PeekedBody | null, framing: BodyFraming) {
  if (body === null || framing.kind === "none") {
    body?.reader.cancel().catch(() => {});
    await write(head, true);
    return;
  }
  const sink = new FramedSink(write, framing);
  try {
    await sink.start(head, body.chunks, body.complete);
    if (!body.complete) {
      let pending = body.pending;
      for (;;) {
        const result = await (pending ?? body.reader.read());
        pending = null;
        if (result.done) break;
        await sink.write(asBytes(result.value));
      }
    }
    await sink.finish();
  } catch (error) {
    body.reader.cancel(error).catch(() => {});
    throw error;
  }
}

/** Encodes body chunks for one framing and counts them against an announced length. */
class FramedSink {
  readonly #write: Write;
  readonly #framing: BodyFraming;
  #sent = 0;
  /** The last-chunk has gone out with the read-ahead. */
  #finished = false;

  constructor(write: Write, framing: BodyFraming) {
    this.#write = write;
    this.#framing = framing;
  }

  /** The head with as much of the read-ahead as fits in one small write; then the rest. */
  async start(head: Uint8Array, chunks: Uint8Array[], complete: boolean): Promise<void> {
    let batch: Uint8Array[] = [head];
    let size = head.length;
    const pieces = chunks.map((chunk) => this.#encode(chunk));
    if (complete && this.#framing.kind === "chunked") pieces.push(encodeLastChunk());
    for (const piece of pieces) {
      if (size + piece.length > coalesceBytes && batch.length > 0) {
        await this.#write(concat(batch, size), false);
        batch = [];
        size = 0;
      }
      batch.push(piece);
      size += piece.length;
    }
    if (complete) this.#checkLength();
    if (batch.length > 0) await this.#write(concat(batch, size), complete);
    if (complete) this.#finished = true;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    await this.#write(this.#encode(chunk), false);
  }

  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#checkLength();
    this.#finished = true;
    await this.#write(this.#framing.kind === "chunked" ? encodeLastChunk() : empty, true);
  }

  #checkLength(): void {
    if (this.#framing.kind === "length" && this.#sent !== this.#framing.length) {
      throw new BodyLengthError(this.#framing.length, this.#sent);
    }
  }

  /** Throws when a chunk would pass the announced length (after keeping the part that fits). */
  #encode(chunk: Uint8Array): Uint8Array {
    this.#sent += chunk.length;
    if (this.#framing.kind === "chunked") return encodeChunk(chunk);
    if (this.#framing.kind === "length" && this.#sent > this.#framing.length) {
      throw new BodyLengthError(this.#framing.length, this.#sent);
    }
    return chunk;
  }
}
