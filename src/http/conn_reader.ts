/**
 * Reads from a Duplex with a deadline, for the server loop's timeouts.
 *
 * A Duplex read cannot be cancelled, so a read that loses the race against its timer stays pending and
 * is the one the next `read` waits on: there is never more than one outstanding `conn.read()`, and no
 * chunk is lost.
 */
import type { Duplex } from "../transport/types.ts";

export type ReadResult =
  | { kind: "data"; data: Uint8Array }
  | { kind: "eof" }
  | { kind: "timeout" }
  | { kind: "aborted" };

const eofResult: ReadResult = { kind: "eof" };

export class ConnReader {
  readonly #conn: Duplex;
  /** The outstanding read; it is cleared only by the `read` call that hands its result out. */
  #pending: Promise<ReadResult> | null = null;
  #eof = false;
  /** Bytes read so far. */
  bytesRead = 0;

  constructor(conn: Duplex) {
    this.#conn = conn;
  }

  /** True once the peer has closed its side (or the socket is gone). */
  get eof(): boolean {
    return this.#eof;
  }

  /** The next chunk, unless `timeoutMs` passes or `signal` aborts first. */
  async read(timeoutMs: number, signal?: AbortSignal): Promise<ReadResult> {
    if (this.#pending === null && this.#eof) return eofResult;
    if (signal?.aborted) return { kind: "aborted" };
    this.#pending ??= this.#startRead();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const interrupt = new Promise<ReadResult>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout" }), Math.max(0, timeoutMs));
      onAbort = () => resolve({ kind: "aborted" });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const result = await Promise.race([this.#pending, interrupt]);
      if (result.kind === "data" || result.kind === "eof") this.#pending = null;
      return result;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  #startRead(): Promise<ReadResult> {
    // A socket error is the end of the stream for us; the Duplex reports it as null where it can.
    return this.#conn.read().then(
      (data): ReadResult => {
        if (data === null) return this.#end();
        this.bytesRead += data.length;
        return { kind: "data", data };
      },
      () => this.#end(),
    );
  }

  #end(): ReadResult {
    this.#eof = true;
    return eofResult;
  }
}
