/**
 * A TLS listener: accepts transport connections, runs each handshake concurrently with its own deadline,
 * and yields the sockets whose handshake completed. A client that fails or stalls is dropped (after its
 * alert is sent) without disturbing any other connection.
 */
import { listen } from "../transport/mod.ts";
import { AcceptQueue } from "../transport/accept_queue.ts";
import type { NetAddr } from "../net/duplex.ts";
import type { Listener } from "../transport/types.ts";
import { ServerConnection } from "../tls/server/server_connection.ts";
import type { ServerConfig } from "../tls/server/server_config.ts";
import { TlsSocket } from "./tls_socket.ts";
import { createServerConfig, type TlsServerOptions } from "./tls_server_config.ts";

export interface ListenTlsOptions extends TlsServerOptions {
  hostname?: string;
  port: number;
  /** Milliseconds a client has to complete its handshake (default 10 s). */
  handshakeTimeout?: number;
  /** Called for every connection whose handshake failed; the default ignores them. */
  onHandshakeError?: (error: Error, remote: NetAddr) => void;
  /** Connections open at once (handshaking or established); more are closed on accept. Default 10000. */
  maxConnections?: number;
}

export type ServerTlsSocket = TlsSocket<ServerConnection>;

export class TlsListener implements AsyncIterable<ServerTlsSocket> {
  private readonly ready = new AcceptQueue<ServerTlsSocket>((s) => s.close());
  /** Connections accepted and not yet closed, for graceful shutdown. */
  readonly active = new Set<ServerTlsSocket>();

  constructor(
    private readonly listener: Listener,
    readonly config: ServerConfig,
    private readonly options: ListenTlsOptions,
  ) {
    this.acceptLoop();
  }

  get addr(): NetAddr {
    return this.listener.addr;
  }

  async close(): Promise<void> {
    this.ready.close();
    await this.listener.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<ServerTlsSocket> {
    return this.ready[Symbol.asyncIterator]();
  }

  private async acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        if (this.active.size >= (this.options.maxConnections ?? 10_000)) {
          this.options.onHandshakeError?.(new Error("too many connections"), conn.remoteAddr);
          conn.close();
          continue;
        }
        const socket = new TlsSocket(conn, new ServerConnection(this.config), {
          handshakeTimeout: this.options.handshakeTimeout,
        });
        this.handshake(socket);
      }
    } catch (err) {
      if (!this.ready.closed) this.options.onHandshakeError?.(err as Error, this.listener.addr);
    }
    this.ready.close();
  }

  private async handshake(socket: ServerTlsSocket): Promise<void> {
    this.active.add(socket);
    socket.closed.finally(() => this.active.delete(socket));
    try {
      await socket.handshake();
    } catch (err) {
      this.options.onHandshakeError?.(err as Error, socket.remoteAddr);
      return;
    }
    this.ready.push(socket);
  }
}

export async function listenTls(options: ListenTlsOptions): Promise<TlsListener> {
  const config = await createServerConfig(options);
  const listener = await listen({ hostname: options.hostname, port: options.port });
  return new TlsListener(listener, config, options);
}
