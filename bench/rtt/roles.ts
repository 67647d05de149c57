/**
 * The processes the round-trip lab (bench/rtt/lab.ts) starts besides itself: Node's own TLS server and client
 * (inline scripts), our serve() (`--serve`) and our client (`--client`), each in its own process so that its work
 * does not hold up the delay proxy's timers.
 */
import { ensureDevCerts } from "../../certs/generate.ts";
import type { GroupName } from "../../src/crypto/provider.ts";
import { connectTls, type ConnectTlsOptions } from "../../src/io/tls_connect.ts";

export const REQUEST = "GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
const enc = new TextEncoder();
const dec = new TextDecoder();

/** What the server said about the connection in its JSON body (ours: env.tls; Node: its own fields). */

export const NODE_SERVER = `
const https = require("node:https"), fs = require("node:fs");
const c = JSON.parse(process.env.RTT_CONFIG);
const srv = https.createServer({ key: fs.readFileSync(c.key), cert: fs.readFileSync(c.cert), maxVersion: c.maxVersion },
  (req, res) => {
    const body = JSON.stringify({ protocol: req.socket.getProtocol(), resumed: req.socket.isSessionReused() });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
srv.listen(0, "127.0.0.1", () => console.log("LISTENING " + srv.address().port));`;

/** Connection 0 goes straight to the server, unmeasured: it warms up the JIT and gets a session. 1..count: via proxy. */
export const NODE_CLIENT = `
const tls = require("node:tls"), fs = require("node:fs");
const c = JSON.parse(process.env.RTT_CONFIG);
const ca = fs.readFileSync(c.ca);
let session;
const one = (port, n) => new Promise((resolve, reject) => {
  const s = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", maxVersion: c.maxVersion,
    session: c.resume ? session : undefined });
  let text = "";
  s.on("session", (x) => (session = x));
  s.on("secureConnect", () => s.write(c.request));
  s.on("data", (d) => {
    if (text === "" && n > 0) console.log("FIRSTBYTE " + n + " " + JSON.stringify({ reused: s.isSessionReused() }));
    text += d;
  });
  s.on("error", reject);
  s.on("close", () => (n > 0 && console.log("BODY " + n + " " + JSON.stringify(text)), resolve()));
});
(async () => {
  await one(c.directPort, 0);
  for (let n = 1; n <= c.count; n++) await one(c.proxyPort, n);
  console.log("DONE");
})().catch((e) => { console.log("ERROR " + e.message); process.exit(1); });`;

/** `--serve ours|ours-p256`: the examples/hello.ts app under serve(), tickets and 0-RTT on. */
export async function serveRole(name: string): Promise<void> {
  const { serve } = await import("../../mod.ts");
  type TlsBindings = import("../../mod.ts").TlsBindings;
  const { app } = await import("../../examples/hello.ts");
  const certs = await ensureDevCerts();
  const { cert, key } = certs.server["ecdsa-p256"];
  const groups: GroupName[] | undefined = name === "ours-p256" ? ["secp256r1"] : undefined;
  const tls = { cert: { path: cert }, key: { path: key }, groups, earlyData: {} };
  const fetch = (request: Request, env: TlsBindings) => app.fetch(request, env);
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1", tls, onListen: () => {} });
  await server.ready;
  // Warm up the JIT on the paths the lab measures (a long-running server is warm), then tell the lab.
  await ourRequest(server.addr.port, certs.ca.cert, { hrr: name === "ours-p256" });
  console.log(`LISTENING ${server.addr.port}`);
}

interface OurOptions {
  /** Offer one share (X25519) to a server that only takes P-256. */
  hrr?: boolean;
  /** Use connectTls's session cache (the process-wide default); otherwise `sessionCache: false`. */
  resume?: boolean;
  /** Hand the request to connectTls as `earlyData` (0-RTT when the cached ticket allows it). */
  early?: boolean;
}

/**
 * One request over connectTls: when its first response byte arrived, the response, and what the client saw.
 * `sessionCache` and `earlyData` are newer than this lab: a connectTls without them ignores them (it then does
 * not resume, and the request goes after the handshake), and the resumed and 0-RTT rows of our client say so.
 */
async function ourRequest(port: number, ca: string, o: OurOptions = {}, onFirstByte?: (seen: object) => void) {
  const early = o.early ? enc.encode(REQUEST) : undefined;
  const conn = await connectTls({
    hostname: "127.0.0.1",
    port,
    servername: "localhost",
    ca,
    alpn: ["http/1.1"],
    keyShareGroups: o.hrr ? ["x25519"] : undefined,
    sessionCache: o.resume ? undefined : false,
    earlyData: early,
  } as ConnectTlsOptions);
  if (!early || !("earlyDataOffered" in conn.info)) {
    const writer = conn.writable.getWriter();
    await writer.write(enc.encode(REQUEST));
    writer.releaseLock();
  }
  let at = NaN;
  let text = "";
  const seen = () => ({
    hrr: conn.info.helloRetryRequest,
    resumed: conn.info.resumed,
    early: conn.info.earlyDataAccepted,
  });
  for await (const chunk of conn.readable) {
    if (Number.isNaN(at)) {
      at = performance.now();
      // The lab times this line: print it at the first byte, as the Node client does, not at the end.
      onFirstByte?.(seen());
    }
    text += dec.decode(chunk, { stream: true });
  }
  await conn.close().catch(() => {});
  return { at, text, seen: seen() };
}

/**
 * `--client JSON`: our client in its own process (so that its JavaScript crypto does not hold up the proxy's
 * timers), printing FIRSTBYTE/BODY lines as the Node client does. A first connection straight to the server warms
 * up the JIT, as a long-running client would be; to resume, one more through the proxy fills the session cache
 * (its tickets are kept per host and port), and the lab skips it ("PRIMED").
 */
export async function ourClientRole(json: string): Promise<void> {
  const c = JSON.parse(json);
  await ourRequest(c.directPort, c.ca, { hrr: c.hrr });
  if (c.resume) {
    await ourRequest(c.proxyPort, c.ca, { resume: true });
    console.log("PRIMED");
  }
  for (let n = 1; n <= c.count; n++) {
    const r = await ourRequest(c.proxyPort, c.ca, { hrr: c.hrr, resume: c.resume, early: c.early }, (seen) => {
      console.log(`FIRSTBYTE ${n} ${JSON.stringify(seen)}`);
    });
    console.log(`BODY ${n} ${JSON.stringify(r.text)}`);
  }
  console.log("DONE");
}
