/**
 * Load, bounded: `wrk -t1 -c16 -d3s` on loopback against `/json` from our server on Deno, Bun and Node must end
 * with zero socket errors (connect, read, write, timeout) and zero responses outside 2xx.
 *
 * wrk speaks TLS through OpenSSL without offering ALPN, and writes `GET /json HTTP/1.1` requests over keep-alive
 * connections: HTTP/1.1 is all it knows. A Lua script counts every status itself (wrk's own "Non-2xx or 3xx"
 * line lets 3xx pass) and keeps one body, so the test also sees what the server negotiated.
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";
import { run, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";

const script = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) responses = 0; non2xx = 0; sample = "" end
function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if sample == "" and body then sample = body end
end
function done(summary, latency, requests)
  local r, n, sample = 0, 0, ""
  for _, t in ipairs(threads) do
    r = r + t:get("responses"); n = n + t:get("non2xx")
    if sample == "" then sample = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\":%d,\\"responses\\":%d,\\"non2xx\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d}\\n",
    summary.requests, r, n, e.connect, e.read, e.write, e.timeout))
  io.write("SAMPLE " .. sample .. "\\n")
end
`;

for (const runtime of runtimes) {
  Deno.test({
    name: `wrk -t1 -c16 -d3s against /json on ${runtime}: no socket errors, only 2xx`,
    ...needs("wrk", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { child, port } = await startFixture(runtime, "hello_server.ts", []);
      const lua = await Deno.makeTempFile({ suffix: ".lua" });
      try {
        await Deno.writeTextFile(lua, script);
        const argv = ["wrk", "-t1", "-c16", "-d3s", "--timeout", "5s", "-s", lua, `https://127.0.0.1:${port}/json`];
        const r = await run(argv, [], 30_000);
        assert.equal(r.code, 0, r.output);
        const result = JSON.parse(r.output.match(/^RESULT (.*)$/m)?.[1] ?? "null");
        assert.ok(result, r.output);
        assert.deepEqual(
          { connect: result.connect, read: result.read, write: result.write, timeout: result.timeout },
          { connect: 0, read: 0, write: 0, timeout: 0 },
          r.output,
        );
        assert.doesNotMatch(r.output, /Socket errors|Non-2xx/);
        assert.equal(result.non2xx, 0, r.output);
        assert.ok(result.requests > 100 && result.responses === result.requests, r.output);
        const sample = JSON.parse(r.output.match(/^SAMPLE (.*)$/m)?.[1] ?? "null");
        assert.equal(sample?.tls?.version, "TLSv1.3", r.output);
        // No ALPN from wrk: nothing negotiated, and HTTP/1.1 is what it speaks.
        assert.ok(sample.tls.alpn === null || sample.tls.alpn === "http/1.1", r.output);
        assert.ok(!child.lines.some((l) => l.startsWith("ERROR")), child.lines.join("\n"));
      } finally {
        await Deno.remove(lua);
        await child.stop();
      }
    },
  });
}
