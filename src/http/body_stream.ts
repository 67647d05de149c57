/**
 * A message body as a `ReadableStream`, pulled from the decoder one chunk at a time: the request body a
 * server handler reads (request_body.ts) and the response body our client hands back (client.ts).
 *
 * Backpressure: the stream's high-water mark is zero, so `next()` runs only when the reader asks, and
 * each call reads the connection only when the decoder has nothing left: nothing is buffered on the
 * reader's behalf beyond one transport chunk.
 *
 * `detach()` ends the reader's access when the connection moves on without it (the response was sent,
 * a new request started): a reader still holding the stream gets an error instead of another message's
 * bytes.
 */
export class PulledBody {
  readonly stream: ReadableStream<Uint8Array>;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #detached = false;

  /** `next` gives the next chunk, or null at the end; `onCancel` runs if the reader cancels the stream. */
  constructor(next: () => Promise<Uint8Array | null>, onCancel?: () => void) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: async (controller) => {
        try {
          const chunk = await next();
          if (this.#detached) return;
          if (chunk === null) {
            this.#controller = null;
            controller.close();
          } else controller.enqueue(chunk);
        } catch (error) {
          if (!this.#detached) controller.error(error);
          this.#controller = null;
        }
      },
      cancel: () => {
        this.#controller = null;
        onCancel?.();
      },
    }, { highWaterMark: 0 });
  }

  /** No more chunks for the reader: if it still holds the stream, it errors with `reason`. */
  detach(reason: unknown): void {
    this.#detached = true;
    try {
      this.#controller?.error(reason);
    } catch { /* already closed */ }
    this.#controller = null;
  }
}
