/**
 * `env.tls` for one request: what the TLS socket negotiated, whether this request came in early data, the
 * client certificate (verified at the handshake or asked for since), and a way to ask for one now.
 */
import { defaultProvider } from "../crypto/mod.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { requestClientCertificate } from "../io/client_certificate.ts";
import type { ServerTlsSocket } from "../io/tls_listener.ts";
import { parseCertificate } from "../tls/pki/certificate.ts";
import { toHex } from "../bytes.ts";
import type { ClientCertificateInfo, TlsInfo } from "./bindings.ts";

export function tlsEnv(socket: ServerTlsSocket, earlyData: boolean, clientAuthTimeout?: number): TlsInfo {
  const info = socket.info!;
  const provider = socket.engine.config.provider;
  const tls: TlsInfo = {
    version: info.version,
    cipherSuite: info.cipherSuite,
    group: info.group,
    alpn: info.alpn,
    serverName: info.serverName,
    resumed: info.resumed,
    earlyData,
    clientCertificate: info.peerCertificates.length ? describedOnce(info.peerCertificates, provider) : null,
    async requestClientCertificate() {
      if (tls.clientCertificate) return tls.clientCertificate;
      const chain = await requestClientCertificate(socket, { timeout: clientAuthTimeout });
      return (tls.clientCertificate = describedOnce(chain, provider));
    },
  };
  return tls;
}

/** A connection's chain is the same array for every request on it: parse and hash it once, not per request. */
const described = new WeakMap<Uint8Array[], ClientCertificateInfo>();

function describedOnce(chain: Uint8Array[], provider: CryptoProvider): ClientCertificateInfo {
  let info = described.get(chain);
  if (!info) described.set(chain, info = describeClientCertificate(chain, provider));
  return info;
}

/** Summarizes a verified client chain for `env.tls.clientCertificate`; the fingerprint comes from `provider`. */
export function describeClientCertificate(
  chain: Uint8Array[],
  provider: CryptoProvider = defaultProvider(),
): ClientCertificateInfo {
  const leaf = parseCertificate(chain[0]);
  return {
    subject: leaf.subject.text,
    issuer: leaf.issuer.text,
    serialNumber: leaf.serial,
    dnsNames: [...(leaf.subjectAltNames?.dns ?? [])],
    notAfter: leaf.notAfter,
    fingerprint256: toHex(provider.hash("SHA-256").hash(chain[0])),
    chain,
  };
}
