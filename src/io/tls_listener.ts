/**
 * A TLS listener: accepts transport connections, runs each handshake concurrently with its own deadline,
 * and yields the sockets whose handshake completed. A client that fails or stalls is dropped (after its
 * alert is sent) without disturbing any other connection.
 */
import { listen } from "../transport/mod.ts";
import { AcceptQueue } from "../transport/accept_queue.ts";
import type { Listener, NetAddr } from "../transport/types.ts";
import { ServerConnection } from "../tls/server/server_connection.ts";
import { ACME_TLS_ALPN } from "../tls/server/negotiate.ts";
import type { ServerConfig } from "../tls/server/server_config.ts";
import { TlsSocket } from "./tls_socket.ts";
import { createServerConfig, type TlsServerOptions } from "./tls_server_config.ts";

/** Options of `listenTls()`: the address to listen on, the server's TLS options, and connection limits. */
export interface ListenTlsOptions extends TlsServerOptions {
  /** Address to listen on (default "0.0.0.0"). */
  hostname?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Milliseconds a client has to complete its handshake (default 10 s). */
  handshakeTimeout?: number;
  /** Called for every connection whose handshake failed; the default ignores them. */
  onHandshakeError?: (error: Error, remote: NetAddr) => void;
  /** Connections open at once (handshaking or established); more are closed on accept. Default 10000. */
  maxConnections?: number;
}

/** A server-side TLS socket, as `listenTls` yields them. */
export type ServerTlsSocket = TlsSocket<ServerConnection>;

/** Accepts connections and yields each one whose handshake completed; see `listenTls`. */
export class TlsListener implements AsyncIterable<ServerTlsSocket> {
  private readonly ready = new AcceptQueue<ServerTlsSocket>((s) => s.close());
  /** Connections accepted and not yet closed, for graceful shutdown. */
  readonly active: Set<ServerTlsSocket> = new Set();

  /** Starts accepting on `listener` at once; `listenTls` makes it. */
  constructor(
    private readonly listener: Listener,
    readonly config: ServerConfig,
    private readonly options: ListenTlsOptions,
  ) {
    this.acceptLoop();
  }

  /** The address listened on. */
  get addr(): NetAddr {
    return this.listener.addr;
  }

  /** Stops accepting; connections already yielded stay open. */
  async close(): Promise<void> {
    this.ready.close();
    await this.listener.close();
  }

  /** Sockets whose handshake completed, in the order they completed. */
  [Symbol.asyncIterator](): AsyncIterator<ServerTlsSocket> {
    return this.ready[Symbol.asyncIterator]();
  }

  /** Accepts until the listener closes, handshaking each connection on its own. */
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

  /** One connection's handshake under its deadline; a failure is reported and dropped. */
  private async handshake(socket: ServerTlsSocket): Promise<void> {
    this.active.add(socket);
    socket.closed.finally(() => this.active.delete(socket));
    try {
      await socket.handshake();
    } catch (err) {
      this.options.onHandshakeError?.(err as Error, socket.remoteAddr);
      return;
    }
    // RFC 8737 §3: a tls-alpn-01 validation ends with the handshake; it is no application connection.
    if (socket.info?.alpn === ACME_TLS_ALPN) return socket.close();
    this.ready.push(socket);
  }
}

/** Listens for TLS 1.3 connections: loads the certificates (failing here if one is wrong), then accepts. */
export async function listenTls(options: ListenTlsOptions): Promise<TlsListener> {
  const config = await createServerConfig(options);
  const listener = await listen({ hostname: options.hostname, port: options.port });
  return new TlsListener(listener, config, options);
}
