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
import type { ServerConfig } from "../tls/server/server_config.ts";
import { ConnectionBudget, type ConnectionsReclaimed } from "./connection_budget.ts";
import { TlsSocket } from "./tls_socket.ts";
import { createServerConfig, type TlsServerOptions } from "./tls_server_config.ts";

export interface ListenTlsOptions extends TlsServerOptions {
  hostname?: string;
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
  reclaimReportInterval?: number;
}

export type ServerTlsSocket = TlsSocket<ServerConnection>;

export class TlsListener implements AsyncIterable<ServerTlsSocket> {
  private readonly ready = new AcceptQueue<ServerTlsSocket>((s) => s.close());
  readonly budget: ConnectionBudget<ServerTlsSocket>;

  constructor(
    private readonly listener: Listener,
    readonly config: ServerConfig,
    private readonly options: ListenTlsOptions,
  ) {
    this.budget = new ConnectionBudget(
      { maxConnections: options.maxConnections, maxHandshakes: options.maxHandshakes },
      options.onReclaim,
      options.reclaimReportInterval,
    );
    this.acceptLoop();
  }

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

  async close(): Promise<void> {
    this.ready.close();
    this.budget.dispose();
    await this.listener.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<ServerTlsSocket> {
    return this.ready[Symbol.asyncIterator]();
  }

  private async acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        const socket = new TlsSocket(conn, new ServerConnection(this.config), {
          handshakeTimeout: this.options.handshakeTimeout,
        });
        this.budget.admit(socket);
        socket.closed.finally(() => this.budget.remove(socket));
        this.handshake(socket);
      }
    } catch (err) {
      if (!this.ready.closed) this.options.onHandshakeError?.(err as Error, this.listener.addr);
    }
    this.ready.close();
  }

  private async handshake(socket: ServerTlsSocket): Promise<void> {
    try {
      await socket.handshake();
    } catch (err) {
      if (!this.budget.wasReclaimed(socket)) this.options.onHandshakeError?.(err as Error, socket.remoteAddr);
      return;
    }
    if (this.budget.establish(socket)) this.ready.push(socket);
  }
}

export async function listenTls(options: ListenTlsOptions): Promise<TlsListener> {
  const config = await createServerConfig(options);
  const listener = await listen({ hostname: options.hostname, port: options.port });
  return new TlsListener(listener, config, options);
}
