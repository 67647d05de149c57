/**
 * The hello app with certificates from an ACME CA (Let's Encrypt, or Pebble for testing), validated with
 * tls-alpn-01 on the serving port itself, stored, renewed at two thirds of their lifetime and swapped in while
 * serving, with OCSP stapling when the certificates name a responder.
 *
 *   ACME_DIRECTORY=https://acme-v02.api.letsencrypt.org/directory DOMAINS=example.com PORT=443 \
 *     deno run -A examples/acme.ts
 *
 * ACME_DIRECTORY  directory URL (required)
 * ACME_CA         PEM file trusted for the ACME server's own HTTPS (optional; default the system bundle)
 * DOMAINS         comma-separated names to obtain certificates for (required)
 * PORT            the HTTPS port (default 443); the CA connects to it for tls-alpn-01
 * ACME_STORAGE    a directory (default ./acme-storage), or redis://host:port to share one store in a fleet
 * ACME_EMAIL      contact for the ACME account (optional)
 */
import process from "node:process";
import { app } from "./hello.ts";
import { serve } from "../mod.ts";
import { AcmeManager, DirectoryStorage, formatEvent } from "../acme.ts";
import { RedisStorage } from "../redis.ts";

const env = (name: string) => process.env[name]?.trim() || undefined;
const directoryUrl = env("ACME_DIRECTORY");
const domains = (env("DOMAINS") ?? "").split(",").map((d) => d.trim()).filter(Boolean);
if (!directoryUrl || domains.length === 0) {
  console.error("set ACME_DIRECTORY and DOMAINS (see the comment at the top of examples/acme.ts)");
  process.exit(2);
}
const storageSpec = env("ACME_STORAGE") ?? "acme-storage";
const storage = storageSpec.startsWith("redis://") ? new RedisStorage(storageSpec) : new DirectoryStorage(storageSpec);

const manager = new AcmeManager({
  directoryUrl,
  domains,
  email: env("ACME_EMAIL"),
  storage,
  ca: env("ACME_CA") ? { path: env("ACME_CA")! } : undefined,
  onEvent: (e) => console.log(formatEvent(e)),
});

// Listening first: the CA validates tls-alpn-01 by connecting to this very port.
const server = serve({
  fetch: app.fetch,
  port: Number(env("PORT") ?? 443),
  tls: { resolver: manager.resolver },
  onListen: (addr) => console.log(`LISTENING ${addr.port} for ${domains.join(", ")}`),
});
await server.ready;
await manager.start();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await manager.stop();
    await server.shutdown();
    process.exit(0);
  });
}
