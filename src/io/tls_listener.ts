/**
 * A TLS listener: accepts transport connections, runs each handshake concurrently with its own deadline,
 * and yields the sockets whose handshake completed. A client that fails or stalls is dropped (after its
 * alert is sent) without disturbing any other connection. How many it keeps, and which it lets go under a
 * flood, is the connection budget's call (connection_budget.ts).
 */
import { listen } from "../transport/mod.ts";
import { AcceptQueue } from "../transport/accept_queue.ts";
import type { Listener } from "../transport/types.ts";
import type { NetAddr } from "../net/duplex.ts";
import { ServerConnection } from "../tls/server/server_connection.ts";
import { ACME_TLS_ALPN } from "../tls/server/negotiate.ts";
import type { ServerConfig } from "../tls/server/server_config.ts";
import { ConnectionBudget, type ConnectionsReclaimed } from "./connection_budget.ts";
import { TlsSocket, type TlsSocketOptions } from "./tls_socket.ts";
import { createServerConfig, type TlsServerOptions } from "./tls_server_config.ts";

/** Options of `listenTls()`: the address to listen on, the server's TLS options, and connection limits. */
export interface ListenTlsOptions extends TlsServerOptions {
  /** Address to listen on (default "0.0.0.0"). */
  hostname?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Milliseconds a client has to complete its handshake (default 10 s). */
  handshakeTimeout?: number;
  /** Called for every connection whose handshake failed (not those the budget dropped); the default ignores them. */
  onHandshakeError?: (error: Error, remote: NetAddr) => void;
  /**
   * Established connections kept at once; beyond it the connection idle the longest is closed (close_notify).
   * Default: from memory and the open-file limit (connection_budget.ts).
   */
  maxConnections?: number;
  /** Connections in their handshake at once; beyond it a silent (else the oldest) handshake is dropped. Default: derived too. */
  maxHandshakes?: number;
  /** Counts of connections reclaimed under pressure, at most once per `reclaimReportInterval` (default 10 s). */
  onReclaim?: (report: ConnectionsReclaimed) => void;
  /** Milliseconds between two `onReclaim` reports (default 10 000). */
  reclaimReportInterval?: number;
}

/** A server-side TLS socket, as `listenTls` yields them. */
export type ServerTlsSocket = TlsSocket<ServerConnection>;

/** Accepts connections and yields each one whose handshake completed; see `listenTls`. */
export class TlsListener implements AsyncIterable<ServerTlsSocket> {
  private readonly ready = new AcceptQueue<ServerTlsSocket>((s) => s.close());
  /** Connections per kind (handshaking, idle, busy), and which to reclaim when a budget is full. */
  readonly budget: ConnectionBudget<ServerTlsSocket>;
  /** One options object shared by every socket, not one per connection. */
  private readonly socketOptions: TlsSocketOptions;

  /** Starts accepting on `listener` at once; `listenTls` makes it. */
  constructor(
    private readonly listener: Listener,
    readonly config: ServerConfig,
    private readonly options: ListenTlsOptions,
  ) {
    this.socketOptions = { handshakeTimeout: options.handshakeTimeout };
    this.budget = new ConnectionBudget(
      { maxConnections: options.maxConnections, maxHandshakes: options.maxHandshakes },
      options.onReclaim,
      options.reclaimReportInterval,
    );
    this.acceptLoop();
  }

  /** The address listened on. */
  get addr(): NetAddr {
    return this.listener.addr;
  }

  /** Connections accepted and not yet closed (handshaking or established), for graceful shutdown. */
  get active(): ReadonlySet<ServerTlsSocket> {
    return this.budget.all;
  }

  /** The HTTP layer (or another protocol) says a connection waits for its next request, or serves one. */
  markIdle(socket: ServerTlsSocket, idle: boolean): void {
    this.budget.markIdle(socket, idle);
  }

  /** Stops accepting; connections already yielded stay open. */
  async close(): Promise<void> {
    this.ready.close();
    this.budget.dispose();
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
        const socket = new TlsSocket(conn, new ServerConnection(this.config), this.socketOptions);
        this.budget.admit(socket);
        // `closed` never rejects; `then` costs a closure less than `finally` per connection.
        socket.closed.then(() => this.budget.remove(socket));
        this.handshake(socket);
      }
    } catch (err) {
      if (!this.ready.closed) this.options.onHandshakeError?.(err as Error, this.listener.addr);
    }
    this.ready.close();
  }

  /** One connection's handshake under its deadline; a failure is reported and dropped. */
  private async handshake(socket: ServerTlsSocket): Promise<void> {
    try {
      await socket.handshake();
    } catch (err) {
      if (!this.budget.wasReclaimed(socket)) this.options.onHandshakeError?.(err as Error, socket.remoteAddr);
      return;
    }
    // RFC 8737 §3: a tls-alpn-01 validation ends with the handshake; it is no application connection.
    if (socket.info?.alpn === ACME_TLS_ALPN) return socket.close();
    if (this.budget.establish(socket)) this.ready.push(socket);
  }
}

/** Listens for TLS 1.3 connections: loads the certificates (failing here if one is wrong), then accepts. */
export async function listenTls(options: ListenTlsOptions): Promise<TlsListener> {
  const config = await createServerConfig(options);
  const listener = await listen({ hostname: options.hostname, port: options.port });
  return new TlsListener(listener, config, options);
}
