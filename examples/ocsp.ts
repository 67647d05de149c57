/**
 * The hello app with OCSP stapling for a certificate from files: the staple is fetched from the responder the
 * certificate names, verified, refreshed halfway to its nextUpdate, and sent to clients that ask
 * (`openssl s_client -status`).
 *
 *   deno run -A certs/ocsp.ts --port 8888 &      # development CA: OCSP certificates and a responder
 *   deno run -A examples/ocsp.ts                 # https://localhost:8443/
 *
 * CERT, KEY  the chain (leaf, then its issuer) and key; default certs/out/ocsp/ocsp-good.pem and its key
 * PORT       default 8443
 */
import process from "node:process";
import { app } from "./hello.ts";
import { serve } from "../mod.ts";
import { formatEvent, stapleCertificates } from "../acme.ts";

const dir = new URL("../certs/out/ocsp/", import.meta.url).pathname;
const cert = process.env.CERT ?? `${dir}ocsp-good.pem`;
const key = process.env.KEY ?? `${dir}ocsp-good-key.pem`;

const stapled = await stapleCertificates([{ cert: { path: cert }, key: { path: key } }], {
  onEvent: (e) => console.log(formatEvent(e)),
});
const server = serve({
  fetch: app.fetch,
  port: Number(process.env.PORT ?? 8443),
  tls: { resolver: stapled.resolver },
  onListen: (addr) => console.log(`LISTENING ${addr.port}`),
});
await server.ready;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    stapled.stop();
    await server.shutdown();
    process.exit(0);
  });
}
