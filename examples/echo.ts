/**
 * A TLS 1.3 echo server on our own stack: `deno run -A examples/echo.ts` (PORT overrides 8443).
 * Try it with `openssl s_client -connect localhost:8443 -CAfile certs/out/ca.pem`.
 */
import { ensureDevCerts } from "../certs/generate.ts";
import { listenTls } from "../tls.ts";

const certs = await ensureDevCerts(undefined, { log: (l) => console.log(l) });
const port = Number(process.env.PORT ?? 8443);
const listener = await listenTls({
  port,
  cert: { path: certs.server["ecdsa-p256"].cert },
  key: { path: certs.server["ecdsa-p256"].key },
  keyLog: process.env.SSLKEYLOGFILE,
  onHandshakeError: (err, remote) => console.log(`handshake with ${remote.address} failed: ${err.message}`),
});
console.log(`TLS echo on ${listener.addr.address}:${listener.addr.port} (CA: ${certs.ca.cert})`);

for await (const socket of listener) {
  const info = socket.info!;
  console.log(`${socket.remoteAddr.address}: ${info.cipherSuite} ${info.group} sni=${info.serverName ?? "-"}`);
  (async () => {
    try {
      for (let chunk; (chunk = await socket.read()) !== null;) await socket.write(chunk);
      await socket.closeWrite();
    } catch (err) {
      console.log(`${socket.remoteAddr.address}: ${(err as Error).message}`);
    } finally {
      socket.close();
    }
  })();
}
