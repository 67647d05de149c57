/**
 * Real clients resume with our tickets and send 0-RTT to our server, on Deno, Bun and Node (issue 7, "What must
 * show that it works"): openssl s_client `-sess_out`/`-sess_in` and `-early_data FILE`, gnutls-cli `--resume`
 * and `--resume --earlydata=FILE`. Each case checks both ends: what the client printed and what the server
 * reported (resumed, earlyDataAccepted and the reason for a refusal, and whether the app read the bytes as early
 * data). Over HTTP (serve()), a GET in early data is answered in 0-RTT with `Early-Data: 1` seen by the app and
 * `env.tls.earlyData === true`, while a POST in early data gets 425 and never reaches the app.
 * Refusals: a ticket whose ALPN differs, early data followed by a HelloRetryRequest, a server with
 * `tickets: false` (no ticket, no resumption), and a ticket from another server (unknown: full handshake).
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";
import { type Child, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";
import { connection, echoed, EchoServer, gnutlsCli, runtimeBinary, sClient, Scratch } from "../_support/resumption.ts";

const gnutls = needs("gnutls-cli");

/** The JSON body of examples/hello.ts's GET /json in a client's output. */
function jsonBody(output: string): Record<string, any> {
  const m = output.match(/\{"hello":"world".*?\}\}/);
  assert.ok(m, `no /json body in:\n${output}`);
  return JSON.parse(m[0]);
}

/** APP lines the HTTP fixture printed after `mark`. */
function appLines(child: Child, mark: number): Record<string, any>[] {
  return child.lines.slice(mark).filter((l) => l.startsWith("APP ")).map((l) => JSON.parse(l.slice(4)));
}

const request = (method: string, path: string, body = "") =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n` +
  (body ? `Content-Length: ${body.length}\r\n` : "") + `\r\n${body}`;

for (const runtime of runtimes) {
  Deno.test({
    name: `resumption and 0-RTT interop, server on ${runtime}`,
    ...needs("openssl", runtimeBinary(runtime)),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const scratch = await Scratch.create();
      const started: { stop(): Promise<void> }[] = [];
      try {
        const [echo, noTickets, http] = await Promise.all([
          EchoServer.start(runtime, { alpn: ["h2", "http/1.1"], earlyData: {} }),
          EchoServer.start(runtime, { tickets: false }),
          startFixture(runtime, "early_http_server.ts", [JSON.stringify({ tls: { earlyData: {} } })]),
        ]);
        started.push(echo, noTickets, http.child);
        const sess = scratch.path("echo.sess");
        const earlyText = `early data from openssl to ${runtime}`;
        const earlyFile = await scratch.write("early.txt", earlyText + "\n");

        await t.step("openssl -sess_out, then -sess_in resumes", async () => {
          const first = await connection(echo, async () => {
            const r = await sClient(echo.port, ["-sess_out", sess], { send: "ping\n", until: echoed("ping") });
            assert.match(r.output, /New, TLSv1\.3/);
            // Two tickets by default (RFC 8446 §4.6.1), after the client's Finished.
            assert.equal(r.output.match(/Post-Handshake New Session Ticket arrived/g)?.length, 2, r.output);
            assert.match(r.output, /Max Early Data: 16384/);
          });
          assert.equal(first.info?.resumed, false);
          const again = await connection(echo, async () => {
            const r = await sClient(echo.port, ["-sess_in", sess], { send: "again\n", until: echoed("again") });
            assert.match(r.output, /Reused, TLSv1\.3/, r.output);
          });
          assert.equal(again.info?.resumed, true);
          assert.equal(again.info?.earlyDataAccepted, false);
          assert.equal(again.info?.earlyDataRejectedReason, null, "no early data offered, none refused");
          assert.deepEqual(again.reads, [{ early: false, text: "again\n" }]);
        });

        await t.step("openssl -early_data is accepted, read as early data and echoed", async () => {
          const report = await connection(echo, async () => {
            const r = await sClient(echo.port, ["-sess_in", sess, "-early_data", earlyFile], {
              send: "after\n",
              until: /^after$/m,
            });
            assert.match(r.output, /Reused, TLSv1\.3/, r.output);
            assert.match(r.output, /Early data was accepted/, r.output);
            assert.match(r.output, new RegExp(`^${earlyText}$`, "m"), "the early data came back");
          });
          assert.equal(report.info?.resumed, true);
          assert.equal(report.info?.earlyDataAccepted, true);
          assert.equal(report.completed, true, "then the handshake completed");
          assert.deepEqual(report.reads[0], { early: true, text: earlyText + "\n" });
          assert.deepEqual(report.reads.at(-1), { early: false, text: "after\n" });
        });

        await t.step("early data with a ticket whose ALPN differs is rejected, 1-RTT goes on", async () => {
          const alpnSess = scratch.path("alpn.sess");
          const first = await connection(
            echo,
            () =>
              sClient(echo.port, ["-alpn", "http/1.1", "-sess_out", alpnSess], {
                send: "ping\n",
                until: echoed("ping"),
              }),
          );
          assert.equal(first.info?.alpn, "http/1.1");
          // The server prefers h2: the resumed connection negotiates another protocol than the ticket's.
          const report = await connection(echo, async () => {
            const r = await sClient(
              echo.port,
              ["-alpn", "h2,http/1.1", "-sess_in", alpnSess, "-early_data", earlyFile],
              {
                send: "late\n",
                until: /^late$/m,
              },
            );
            assert.match(r.output, /Reused, TLSv1\.3/, r.output);
            assert.match(r.output, /ALPN protocol: h2/);
            assert.match(r.output, /Early data was rejected/, r.output);
          });
          assert.equal(report.info?.resumed, true);
          assert.equal(report.info?.alpn, "h2");
          assert.equal(report.info?.earlyDataAccepted, false);
          assert.equal(report.info?.earlyDataRejectedReason, "ALPN differs from the ticket's");
          assert.equal(report.completed, true);
          assert.deepEqual(report.reads, [{ early: false, text: "late\n" }], "the early data never reached the app");
        });

        await t.step("early data followed by a HelloRetryRequest is rejected", async () => {
          // We do not implement ffdhe8192, so its key share gets a HelloRetryRequest for P-256 (RFC 8446 §4.2.10:
          // early data is then rejected and skipped).
          const report = await connection(echo, async () => {
            const r = await sClient(echo.port, [
              "-groups",
              "ffdhe8192:P-256",
              "-sess_in",
              sess,
              "-early_data",
              earlyFile,
              "-msg",
            ], {
              send: "late\n",
              until: /^late$/m,
            });
            assert.equal(
              r.output.match(/<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ServerHello/g)?.length,
              2,
              "HRR + ServerHello",
            );
            assert.match(r.output, /Reused, TLSv1\.3/, r.output);
            assert.match(r.output, /Early data was rejected/, r.output);
          });
          assert.equal(report.info?.resumed, true);
          assert.equal(report.info?.group, "secp256r1");
          assert.equal(report.info?.earlyDataAccepted, false);
          assert.equal(report.info?.earlyDataRejectedReason, "HelloRetryRequest was needed");
          assert.deepEqual(report.reads, [{ early: false, text: "late\n" }]);
        });

        await t.step("tickets: false sends no ticket and resumes nothing", async () => {
          const noSess = scratch.path("none.sess");
          const first = await connection(noTickets, async () => {
            const r = await sClient(noTickets.port, ["-sess_out", noSess], { send: "ping\n", until: echoed("ping") });
            assert.doesNotMatch(r.output, /New Session Ticket arrived/);
          });
          assert.equal(first.info?.resumed, false);
          // Offered a ticket of another server (the one above), it does a full handshake.
          const again = await connection(noTickets, async () => {
            const r = await sClient(noTickets.port, ["-sess_in", sess], { send: "ping\n", until: echoed("ping") });
            assert.match(r.output, /New, TLSv1\.3/, r.output);
          });
          assert.equal(again.info?.resumed, false);
        });

        await t.step("a ticket of another server (unknown key) falls back to a full handshake", async () => {
          const other = await EchoServer.start(runtime, { earlyData: {} });
          started.push(other);
          const report = await connection(other, async () => {
            const r = await sClient(other.port, ["-sess_in", sess, "-early_data", earlyFile], {
              send: "x\n",
              until: /^x$/m,
            });
            assert.match(r.output, /New, TLSv1\.3/, r.output);
            assert.match(r.output, /Early data was rejected/);
          });
          assert.equal(report.info?.resumed, false);
          assert.equal(report.info?.earlyDataRejectedReason, "no usable ticket");
          assert.deepEqual(report.reads, [{ early: false, text: "x\n" }]);
        });

        // ----- HTTP over serve() -----
        const httpSess = scratch.path("http.sess");
        await t.step("HTTP: GET /json in early data is answered in 0-RTT, the app sees Early-Data: 1", async () => {
          const first = await sClient(http.port, ["-sess_out", httpSess], {
            send: "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n",
            until: /"hello":"world"/,
          });
          assert.equal(jsonBody(first.output).tls.earlyData, false);
          assert.equal(first.output.match(/Post-Handshake New Session Ticket arrived/g)?.length, 2);
          const mark = http.child.lines.length;
          const r = await sClient(http.port, [
            "-sess_in",
            httpSess,
            "-early_data",
            await scratch.write("get.txt", request("GET", "/json")),
          ], {
            until: /"hello":"world".*\}\}/,
          });
          assert.match(r.output, /Reused, TLSv1\.3/, r.output);
          assert.match(r.output, /Early data was accepted/, r.output);
          assert.match(r.output, /HTTP\/1\.1 200 OK/);
          const body = jsonBody(r.output);
          assert.equal(body.tls.earlyData, true, "env.tls.earlyData");
          assert.equal(body.tls.resumed, true);
          const seen = appLines(http.child, mark);
          assert.deepEqual(seen, [{
            method: "GET",
            path: "/json",
            earlyDataHeader: "1",
            tlsEarlyData: true,
            resumed: true,
          }]);
        });

        await t.step("HTTP: POST in early data gets 425 and never reaches the app", async () => {
          const mark = http.child.lines.length;
          const r = await sClient(http.port, [
            "-sess_in",
            httpSess,
            "-early_data",
            await scratch.write("post.txt", request("POST", "/upload", "hello")),
          ], {
            until: /Too Early.*\n/,
          });
          assert.match(r.output, /Early data was accepted/, r.output);
          assert.match(r.output, /HTTP\/1\.1 425 Too Early/, r.output);
          assert.deepEqual(appLines(http.child, mark), [], "the app never saw the POST");
          // The same POST after the handshake (not early data) is served.
          const late = await sClient(http.port, ["-sess_in", httpSess], {
            send: request("POST", "/upload", "hello"),
            until: /"sha256"/,
          });
          assert.match(late.output, /HTTP\/1\.1 200 OK/, late.output);
          assert.deepEqual(appLines(http.child, mark).map((a) => [a.method, a.earlyDataHeader, a.tlsEarlyData]), [[
            "POST",
            null,
            false,
          ]]);
        });

        await t.step(
          "HTTP: a route behind rejectEarlyData() answers 425 in early data, 200 after the handshake",
          async () => {
            const r = await sClient(http.port, [
              "-sess_in",
              httpSess,
              "-early_data",
              await scratch.write("guarded.txt", request("GET", "/guarded")),
            ], {
              until: /Too Early.*\n/,
            });
            assert.match(r.output, /Early data was accepted/, r.output);
            assert.match(r.output, /HTTP\/1\.1 425 Too Early/, r.output);
            const late = await sClient(http.port, ["-sess_in", httpSess], {
              send: request("GET", "/guarded"),
              until: /guarded ok/,
            });
            assert.match(late.output, /HTTP\/1\.1 200 OK/, late.output);
          },
        );

        // ----- gnutls-cli -----
        await t.step({
          name: "gnutls-cli --resume resumes",
          ignore: gnutls.ignore,
          fn: async () => {
            const mark = echo.mark();
            const r = await gnutlsCli(echo.port, ["--resume"], { send: "gping\n", until: /^gping$/m });
            assert.match(r.output, /\*\*\* This is a resumed session/, r.output);
            const n = await echo.connectionAfter(mark);
            const [first, second] = [await echo.report(n), await echo.report(n + 1)];
            assert.equal(first.info?.resumed, false);
            assert.equal(second.info?.resumed, true);
            assert.deepEqual(second.reads, [{ early: false, text: "gping\n" }]);
          },
        });

        await t.step({
          name: "gnutls-cli --resume --earlydata sends 0-RTT, accepted and echoed",
          ignore: gnutls.ignore,
          fn: async () => {
            const text = `early data from gnutls to ${runtime}`;
            const file = await scratch.write("gnutls-early.txt", text + "\n");
            const mark = echo.mark();
            const r = await gnutlsCli(echo.port, ["--resume", `--earlydata=${file}`], {
              send: "gafter\n",
              until: /^gafter$/m,
            });
            assert.match(r.output, /\*\*\* This is a resumed session/, r.output);
            assert.match(r.output, new RegExp(`^${text}$`, "m"), "the early data came back");
            const n = await echo.connectionAfter(mark);
            const second = await echo.report(n + 1);
            assert.equal(second.info?.resumed, true);
            assert.equal(second.info?.earlyDataAccepted, true);
            assert.deepEqual(second.reads[0], { early: true, text: text + "\n" });
          },
        });

        await t.step({
          name: "gnutls-cli --resume --earlydata over HTTP: GET /json answered in 0-RTT, POST gets 425",
          ignore: gnutls.ignore,
          fn: async () => {
            const mark = http.child.lines.length;
            const get = await gnutlsCli(http.port, ["--resume", `--earlydata=${scratch.path("get.txt")}`], {
              until: /"hello":"world".*\}\}/,
            });
            assert.match(get.output, /\*\*\* This is a resumed session/, get.output);
            assert.match(get.output, /HTTP\/1\.1 200 OK/);
            assert.equal(jsonBody(get.output).tls.earlyData, true);
            assert.deepEqual(appLines(http.child, mark), [{
              method: "GET",
              path: "/json",
              earlyDataHeader: "1",
              tlsEarlyData: true,
              resumed: true,
            }]);
            const post = await gnutlsCli(http.port, ["--resume", `--earlydata=${scratch.path("post.txt")}`], {
              until: /Too Early.*\n/,
            });
            assert.match(post.output, /HTTP\/1\.1 425 Too Early/, post.output);
            assert.equal(appLines(http.child, mark).length, 1, "the POST never reached the app");
          },
        });

        await t.step({
          name: "gnutls-cli --resume against tickets: false does not resume",
          ignore: gnutls.ignore,
          fn: async () => {
            const mark = noTickets.mark();
            const r = await gnutlsCli(noTickets.port, ["--resume"], { send: "gping\n", until: /^gping$/m });
            assert.doesNotMatch(r.output, /This is a resumed session/);
            const n = await noTickets.connectionAfter(mark);
            assert.equal((await noTickets.report(n + 1)).info?.resumed, false);
          },
        });
      } finally {
        await Promise.all(started.map((s) => s.stop()));
        await scratch.cleanup();
      }
    },
  });
}
