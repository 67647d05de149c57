/**
 * What a Hono handler sees of the connection: `c.env.tls` and the addresses, under a named bindings type
 * (`Hono<{ Bindings: TlsBindings }>`), and `getConnInfo(c)` in the shape of Hono's own adapters.
 */
import type { NetAddr } from "../net/duplex.ts";

/** The verified client certificate (RFC 8446 §4.4.2), when the client presented one. */
export interface ClientCertificateInfo {
  /** The leaf's subject distinguished name, e.g. "CN=alice, O=Example". */
  subject: string;
  /** The leaf's issuer distinguished name. */
  issuer: string;
  /** The leaf's serial number, hex. */
  serialNumber: string;
  /** The leaf's subjectAltName dNSName entries. */
  dnsNames: string[];
  /** When the leaf expires. */
  notAfter: Date;
  /** SHA-256 of the leaf's DER, hex, colon-free. */
  fingerprint256: string;
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
}

/** What TLS negotiated for this connection, as `c.env.tls`. */
export interface TlsInfo {
  /** Always "TLSv1.3": no other version is spoken. */
  version: "TLSv1.3";
  /** The cipher suite's IANA name, e.g. "TLS_AES_128_GCM_SHA256". */
  cipherSuite: string;
  /** Key exchange group, null for a PSK-only resumption. */
  group: string | null;
  /** The ALPN protocol agreed on (RFC 7301), or null. */
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

/** Hono's `Bindings` for apps served by `serve()`: `new Hono<{ Bindings: TlsBindings }>()`. */
export interface TlsBindings {
  /** What TLS negotiated. */
  tls: TlsInfo;
  /** The client's address. */
  remoteAddr: NetAddr;
  /** The server's address this connection came in on. */
  localAddr: NetAddr;
}

/** Hono's ConnInfo shape (hono/conninfo). */
export interface ConnInfo {
  /** The client's end of the connection. */
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
