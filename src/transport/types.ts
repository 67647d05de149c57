/**
 * What a runtime adapter (deno.ts, bun.ts, node.ts) offers: listeners and outgoing connections whose sockets
 * are turned into the one byte duplex of src/net/duplex.ts. Adapters only move bytes; nothing above this
 * line names a runtime.
 */

import type { Duplex, NetAddr } from "../net/duplex.ts";

export type { Duplex, NetAddr };

export interface Listener extends AsyncIterable<Duplex> {
  readonly addr: NetAddr;
  /** Stops accepting; the async iterator ends. Open connections are not touched. */
  close(): Promise<void>;
}

export interface ListenOptions {
  hostname?: string;
  port: number;
}

export interface ConnectOptions {
  hostname: string;
  port: number;
}

/** What each runtime adapter (deno.ts, bun.ts, node.ts) exports. */
export interface Transport {
  readonly runtime: "deno" | "bun" | "node";
  listen(options: ListenOptions): Promise<Listener>;
  connect(options: ConnectOptions): Promise<Duplex>;
}
