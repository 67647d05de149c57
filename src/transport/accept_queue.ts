/**
 * Connections produced by a callback (a runtime's accept, a finished handshake), handed to one async
 * iterator in order. After `close()` the iterator ends and whatever arrives is discarded.
 */
export class AcceptQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiter: ((item: T | null) => void) | null = null;
  #closed = false;

  /** `discard` disposes of items nobody will take (queued at close, or arriving after it). */
  constructor(private readonly discard: (item: T) => void) {}

  get closed(): boolean {
    return this.#closed;
  }

  push(item: T): void {
    if (this.#closed) return this.discard(item);
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const item of this.#items.splice(0)) this.discard(item);
    this.#waiter?.(null);
    this.#waiter = null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      const next = this.#items.shift() ??
        (this.#closed ? null : await new Promise<T | null>((r) => (this.#waiter = r)));
      if (next === null) return;
      yield next;
    }
  }
}
