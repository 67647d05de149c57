/**
 * Claims about the demo (`deno task start`, examples/hello.ts), made with the README's own commands:
 * - 0-RTT happens: `openssl s_client -sess_out` then `-sess_in -early_data` gets "Early data was accepted" and a
 *   GET answered from early data (`earlyData: true`), while a POST sent as early data is answered 425 Too Early;
 * - /secure/* wants a client certificate per path: `openssl s_client -enable_pha` with the development client
 *   certificate gets the page, curl without one gets 403 and the rest of the site stays open;
 * - the page says what the connection did (resumed, early data, group, client certificate).
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { Child, run } from "../_support/processes.ts";
import { needs } from "../_support/peers.ts";

const certs = await ensureDevCerts();
const hello = new URL("../../examples/hello.ts", import.meta.url).pathname;
const options = { ...needs("openssl", "curl"), sanitizeResources: false, sanitizeOps: false };
const dir = await Deno.makeTempDir({ prefix: "demo-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const request = (method: string, path: string, body = "") =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;

/** The demo on a free port, for the duration of `body`. */
async function withDemo(body: (port: number) => Promise<void>): Promise<void> {
  const env = { PATH: Deno.env.get("PATH") ?? "", PORT: "0", NO_COLOR: "1" };
  const child = new Child([Deno.execPath(), "run", "-A", hello], env);
  try {
    const port = Number((await child.waitFor(/on https:\/\/localhost:(\d+)\//, 60_000))[1]);
    await child.waitFor(/0-RTT on for GET, HEAD, OPTIONS/);
    await body(port);
  } finally {
    await child.stop();
  }
}

function sClient(port: number, ...args: string[]): string[] {
  return ["openssl", "s_client", "-connect", `localhost:${port}`, "-CAfile", certs.ca.cert, ...args];
}

/** A first connection that saves its session (with the tickets) to `file`. */
async function saveSession(port: number, file: string): Promise<void> {
  const r = await run([...sClient(port, "-sess_out", file, "-quiet")], [request("GET", "/json")], 20_000);
  assert.match(r.output, /"resumed":false/);
}

Deno.test("the demo: openssl sees 0-RTT accepted for a GET and answered 425 for a POST", options, async () => {
  await withDemo(async (port) => {
    const early = `${dir}/early.txt`;
    Deno.writeTextFileSync(early, request("GET", "/json"));
    await saveSession(port, `${dir}/get.pem`);
    const get = await run(sClient(port, "-sess_in", `${dir}/get.pem`, "-early_data", early, "-ign_eof"), [], 20_000);
    assert.match(get.output, /Reused, TLSv1\.3/);
    assert.match(get.output, /Early data was accepted/);
    assert.match(get.output, /HTTP\/1\.1 200 OK[\s\S]*"resumed":true,"earlyData":true/);

    Deno.writeTextFileSync(early, request("POST", "/upload", "hello"));
    await saveSession(port, `${dir}/post.pem`);
    const post = await run(sClient(port, "-sess_in", `${dir}/post.pem`, "-early_data", early, "-ign_eof"), [], 20_000);
    assert.match(post.output, /Early data was accepted/);
    assert.match(post.output, /HTTP\/1\.1 425 Too Early/);
  });
});

Deno.test("the demo: /secure/ asks for a client certificate on that path only", options, async () => {
  await withDemo(async (port) => {
    const withCert = await run(
      sClient(port, "-enable_pha", "-cert", certs.client.cert, "-key", certs.client.key, "-quiet"),
      [request("GET", "/secure/")],
      20_000,
    );
    assert.match(withCert.output, /"path":"\/secure\/","clientCertificate":\{"subject":"CN=tls13-hono dev client/);
    const curl = (path: string) =>
      run(["curl", "-sS", "--cacert", certs.ca.cert, "-w", "\\n%{http_code}", `https://localhost:${port}${path}`]);
    const refused = await curl("/secure/");
    assert.match(refused.output, /client_certificate_required[\s\S]*\n403$/);
    const page = await curl("/");
    assert.match(page.output, /\n200$/);
    for (const [id, value] of [["resumed", "no"], ["early-data-rtt-", "no"], ["key-exchange-group", "x25519"]]) {
      assert.match(page.output, new RegExp(`<td id="${id}">${value}</td>`), id);
    }
    assert.match(page.output, /<td id="client-certificate">none<\/td>/);
  });
});
