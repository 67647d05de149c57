/**
 * examples/ocsp.ts on Deno, Bun and Node against a real responder (`openssl ocsp`): `openssl s_client -status`
 * reads a good, verified staple; a client that does not ask gets none.
 */
import assert from "node:assert/strict";
import { makeOcspFixtures, responderArgv } from "../../certs/ocsp.ts";
import { needs } from "../_support/peers.ts";
import { Child, run } from "../_support/processes.ts";
import { command, runtimes } from "../_support/runtimes.ts";
import { freePort } from "../_support/server_peers.ts";

const example = new URL("../../examples/ocsp.ts", import.meta.url).pathname;

for (const runtime of runtimes) {
  Deno.test({
    ...needs("openssl"),
    name: `${runtime}: examples/ocsp.ts staples a verified response; openssl s_client -status reads it`,
    async fn() {
      const ocspPort = freePort();
      const dir = await Deno.makeTempDir({ prefix: "ocsp-runtime-" });
      const f = await makeOcspFixtures(dir, `http://127.0.0.1:${ocspPort}/`);
      const responder = new Child(responderArgv(f, ocspPort, "issuer"));
      let server: Child | null = null;
      try {
        await responder.waitFor(/waiting for OCSP client connections/);
        server = new Child(command(runtime, example), { CERT: f.good.cert, KEY: f.good.key, PORT: "0" });
        await server.waitFor(/^ocsp localhost serial \w+: good/, 60_000);
        const port = (await server.waitFor(/^LISTENING (\d+)/, 60_000))[1];
        const s = await run(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-status", "-CAfile", f.ca.cert]);
        assert.match(s.output, /OCSP Response Status: successful/);
        assert.match(s.output, /Cert Status: good/);
        assert.match(s.output, /Verify return code: 0 \(ok\)/);
        const plain = await run(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", f.ca.cert]);
        assert.doesNotMatch(plain.output, /OCSP response:/);
      } finally {
        await server?.stop();
        await responder.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
