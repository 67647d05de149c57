/**
 * A server TLS socket as the HTTP loop sees it, which also says whether the request being read arrived in
 * 0-RTT early data (RFC 8446 §2.3), so that `serve()` can mark it (`Early-Data: 1`, RFC 8470 §5.1) and
 * refuse unsafe methods with 425.
 *
 * The rule, from what the TLS socket reports per chunk: until the handshake is complete every byte is early;
 * after it, bytes that were read as early data (a request pipelined in the same flight) still make the
 * request they belong to early, until a chunk that did not arrive early is read.
 */
import type { Duplex } from "../net/duplex.ts";
import type { ServerTlsSocket } from "./tls_listener.ts";

export class EarlyDataSocket implements Duplex {
  constructor(readonly socket: ServerTlsSocket) {}

  /** Whether the request whose bytes were read last arrived (at least partly) as early data. */
  get requestIsEarly(): boolean {
    return this.socket.readInEarlyRun;
  }

  get localAddr() {
    return this.socket.localAddr;
  }
  get remoteAddr() {
    return this.socket.remoteAddr;
  }
  get closed() {
    return this.socket.closed;
  }

  /** The TLS socket's own read: it keeps the early-run flag, so no wrapper promise waits on every idle connection. */
  read(): Promise<Uint8Array | null> {
    return this.socket.read();
  }

  write(data: Uint8Array): Promise<void> {
    return this.socket.write(data);
  }

  closeWrite(): Promise<void> {
    return this.socket.closeWrite();
  }

  close(): void {
    this.socket.close();
  }
}
