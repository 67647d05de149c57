/** What a handshake negotiated, as reported to applications (`env.tls`) and to the probe. */
export interface ConnectionInfo {
  /** Always "TLSv1.3". */
  version: "TLSv1.3";
  /** The cipher suite's IANA name. */
  cipherSuite: string;
  /** The key exchange group, or null for a psk_ke resumption. */
  group: string | null;
  /** The ALPN protocol agreed on (RFC 7301), or null. */
  alpn: string | null;
  /** The server name the client asked for (SNI), if any. */
  serverName: string | null;
  /** True when the session was resumed with a PSK from a ticket (RFC 8446 §2.2). */
  resumed: boolean;
  /** True when the server accepted 0-RTT data on this connection. */
  earlyDataAccepted: boolean;
  /** Why offered early data was refused (the handshake then completed in 1-RTT); null if accepted or not offered. */
  earlyDataRejectedReason?: string | null;
  /** The signature scheme of the peer's CertificateVerify, if it sent one. */
  peerSignatureScheme: string | null;
  /** The peer's certificate chain (DER, leaf first), as sent. */
  peerCertificates: Uint8Array[];
}
