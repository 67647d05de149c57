/**
 * What a Hono handler sees of the connection: `c.env.tls` and the addresses, under a named bindings type
 * (`Hono<{ Bindings: TlsBindings }>`), and `getConnInfo(c)` in the shape of Hono's own adapters.
 */
import type { NetAddr } from "../net/duplex.ts";

/** The verified client certificate (RFC 8446 §4.4.2), when the client presented one. */
export interface ClientCertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  dnsNames: string[];
  notAfter: Date;
  /** SHA-256 of the leaf's DER, hex, colon-free. */
  fingerprint256: string;
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
}

export interface TlsInfo {
  version: "TLSv1.3";
  cipherSuite: string;
  /** Key exchange group, null for a PSK-only resumption. */
  group: string | null;
  alpn: string | null;
  /** The SNI the client sent. */
  serverName: string | null;
  /** The session was resumed from a ticket (RFC 8446 §2.2). */
  resumed: boolean;
  /** This request arrived as 0-RTT early data, and may be a replay (RFC 8470). */
  earlyData: boolean;
  /** The client certificate verified on this connection, at the handshake or after it. */
  clientCertificate: ClientCertificateInfo | null;
  /**
   * Asks the client for a certificate now (post-handshake authentication, RFC 8446 §4.6.2) and resolves with
   * it, also setting `clientCertificate`; rejects with a ClientCertificateError saying why it could not.
   */
  requestClientCertificate(): Promise<ClientCertificateInfo>;
}

export interface TlsBindings {
  tls: TlsInfo;
  remoteAddr: NetAddr;
  localAddr: NetAddr;
}

/** Hono's ConnInfo shape (hono/conninfo). */
export interface ConnInfo {
  remote: {
    address?: string;
    port?: number;
    addressType?: "IPv4" | "IPv6" | undefined;
    transport?: "tcp" | "udp";
  };
}

/** `getConnInfo(c)` for apps served by `serve()`, like hono/deno and hono/bun's helpers. */
export function getConnInfo(c: { env: unknown }): ConnInfo {
  const { remoteAddr } = c.env as TlsBindings;
  return {
    remote: { address: remoteAddr.address, port: remoteAddr.port, addressType: remoteAddr.family, transport: "tcp" },
  };
}
