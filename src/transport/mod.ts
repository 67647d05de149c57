/**
 * Picks the transport adapter of the runtime we are on. Adapters are loaded with a dynamic `import()`, so Deno
 * never loads the Bun adapter, Bun never loads Deno's, and so on.
 */
import type { ConnectOptions, Duplex, Listener, ListenOptions, Transport } from "./types.ts";
import { currentRuntime, type Runtime } from "../runtime.ts";

export type { ConnectOptions, Duplex, Listener, ListenOptions, NetAddr, Transport } from "./types.ts";

export { currentRuntime, type Runtime } from "../runtime.ts";

const loaded = new Map<Runtime, Promise<Transport>>();

/** The adapter for `runtime`; `node` also runs on Deno and Bun through their `node:net`, which tests use. */
export function loadTransport(runtime: Runtime): Promise<Transport> {
  let transport = loaded.get(runtime);
  if (!transport) {
    transport = runtime === "deno"
      ? import("./deno.ts").then((m) => m.transport)
      : runtime === "bun"
      ? import("./bun.ts").then((m) => m.transport)
      : import("./node.ts").then((m) => m.transport);
    loaded.set(runtime, transport);
  }
  return transport;
}

export function currentTransport(): Promise<Transport> {
  return loadTransport(currentRuntime());
}

export async function listen(options: ListenOptions): Promise<Listener> {
  return (await currentTransport()).listen(options);
}

export async function connect(options: ConnectOptions): Promise<Duplex> {
  return (await currentTransport()).connect(options);
}
