/**
 * Reads from a Duplex with a deadline, for the server loop's timeouts.
 *
 * A Duplex read cannot be cancelled, so a read that outlives its deadline stays pending and is the one
 * the next `read` waits on: there is never more than one outstanding `conn.read()`, and no chunk is
 * lost.
 *
 * Cost per read matters here (it runs for every request): one timer per connection, armed for the
 * earliest deadline and re-armed lazily when it fires early (deadlines mostly move later, so that is
 * rare), one abort listener per connection, and no `Promise.race`. Cost per idle connection matters too
 * (thousands wait here at once): the reader itself is the abort listener (`handleEvent`) and the timer's
 * callback is shared, so a waiting reader holds no closures of its own.
 */
import type { Duplex } from "../net/duplex.ts";

export type ReadResult =
  | { kind: "data"; data: Uint8Array }
  | { kind: "eof" }
  | { kind: "timeout" }
  | { kind: "aborted" };

const eofResult: ReadResult = { kind: "eof" };
const timeoutResult: ReadResult = { kind: "timeout" };
const abortedResult: ReadResult = { kind: "aborted" };

export class ConnReader {
  readonly #conn: Duplex;
  /** A `conn.read()` is outstanding. */
  #reading = false;
  /** What that read gave while nobody waited (its waiter timed out): the next `read` takes it. */
  #arrived: ReadResult | null = null;
  #eof = false;
  /** The caller waiting in `read`, and whether shutdown may interrupt it. */
  #waiter: ((result: ReadResult) => void) | null = null;
  #abortable = false;
  #deadline = Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #signal: AbortSignal | undefined;
  /** Bytes read so far. */
  bytesRead = 0;

  constructor(conn: Duplex) {
    this.#conn = conn;
  }

  /** True once the peer has closed its side (or the socket is gone). */
  get eof(): boolean {
    return this.#eof;
  }

  /**
   * The next chunk, unless `timeoutMs` passes or `signal` aborts first. One signal per reader: the
   * first one given is watched for the reader's lifetime (`dispose` stops that).
   */
  read(timeoutMs: number, signal?: AbortSignal): Promise<ReadResult> {
    const arrived = this.#arrived;
    if (arrived !== null) {
      this.#arrived = null;
      return Promise.resolve(arrived);
    }
    if (!this.#reading && this.#eof) return Promise.resolve(eofResult);
    if (signal?.aborted) return Promise.resolve(abortedResult);
    if (signal !== undefined && this.#signal === undefined) {
      this.#signal = signal;
      signal.addEventListener("abort", this, { once: true });
    }
    this.#abortable = signal !== undefined;
    this.#deadline = Date.now() + Math.max(0, timeoutMs);
    if (this.#timerAt > this.#deadline) this.#arm(this.#deadline);
    const waiting = new Promise<ReadResult>((resolve) => this.#waiter = resolve);
    if (!this.#reading) this.#startRead();
    return waiting;
  }

  /** Stops the timer and the abort listener; a read still outstanding is left to finish on its own. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#signal?.removeEventListener("abort", this);
    this.#settle(eofResult);
  }

  /** The watched signal aborted (EventListener interface: the reader is its own listener). */
  handleEvent(): void {
    if (this.#abortable) this.#settle(abortedResult);
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(ConnReader.#onTimer, Math.max(0, at - Date.now()), this);
  }

  static #onTimer(reader: ConnReader): void {
    reader.#timer = undefined;
    reader.#timerAt = Infinity;
    if (reader.#waiter === null) return;
    if (Date.now() >= reader.#deadline) reader.#settle(timeoutResult);
    else reader.#arm(reader.#deadline);
  }

  #settle(result: ReadResult): void {
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    waiter(result);
  }

  #startRead(): void {
    this.#reading = true;
    // A socket error is the end of the stream for us; the Duplex reports it as null where it can.
    this.#conn.read().then((data) => this.#delivered(data), () => this.#delivered(null));
  }

  #delivered(data: Uint8Array | null): void {
    this.#reading = false;
    let result: ReadResult;
    if (data === null) {
      this.#eof = true;
      result = eofResult;
    } else {
      this.bytesRead += data.length;
      result = { kind: "data", data };
    }
    if (this.#waiter !== null) this.#settle(result);
    else this.#arrived = result;
  }
}
