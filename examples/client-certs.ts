/**
 * Client certificates per path, through TLS 1.3 post-handshake authentication: `/` is open to everyone;
 * `/secure/*` and every POST ask the client for a certificate after the request has arrived.
 *
 *   deno run -A examples/client-certs.ts          (PORT overrides 8443)
 *   openssl s_client -connect localhost:8443 -enable_pha -cert certs/out/client.pem \
 *     -key certs/out/client-key.pem -CAfile certs/out/ca.pem -quiet   # then type: GET /secure/x HTTP/1.1, Host: x
 */
import { Hono } from "hono";
import { ensureDevCerts } from "../certs/generate.ts";
import { clientCertificate, serve, type TlsBindings } from "../mod.ts";

const app = new Hono<{ Bindings: TlsBindings }>();

app.use("/secure/*", clientCertificate());
app.use("*", clientCertificate({ when: (c) => c.req.method === "POST" }));

app.get("/", (c) => {
  const cert = c.env.tls.clientCertificate;
  return c.text(
    cert ? `Hello again, ${cert.subject}\n` : "Hello, anonymous visitor. Try /secure/ with a client certificate.\n",
  );
});

app.get("/secure/*", (c) => {
  const cert = c.env.tls.clientCertificate!;
  return c.json({
    path: c.req.path,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    dnsNames: cert.dnsNames,
    fingerprint256: cert.fingerprint256,
    notAfter: cert.notAfter.toISOString(),
  });
});

app.post("*", async (c) => c.json({ received: (await c.req.text()).length, by: c.env.tls.clientCertificate!.subject }));

export { app };

if (import.meta.main ?? process.argv[1]?.endsWith("client-certs.ts")) {
  const certs = await ensureDevCerts();
  serve({
    fetch: app.fetch,
    port: Number(process.env.PORT ?? 8443),
    tls: {
      cert: { path: certs.server["ecdsa-p256"].cert },
      key: { path: certs.server["ecdsa-p256"].key },
      clientAuth: { ca: { path: certs.ca.cert } },
    },
    onListen: (addr) =>
      console.log(`client-certs example on https://localhost:${addr.port}/ (client certs: ${certs.client.cert})`),
  });
}
