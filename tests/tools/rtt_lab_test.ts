/**
 * The round-trip lab (bench/rtt/): the delay proxy counts round trips as they happen, and a `--quick` run of the
 * lab backs the claims the chart makes, from the flights it captured: TLS 1.3 needs fewer round trips than TLS
 * 1.2, a HelloRetryRequest costs one more, and 0-RTT saves one over our full 1-RTT handshake.
 */
import assert from "node:assert/strict";
import { createConnection, createServer, type Socket } from "node:net";
import { countRoundTrips, flights, startDelayProxy } from "../../bench/rtt/delay_proxy.ts";
import type { LabResult, Row } from "../../bench/rtt/lab.ts";
import { needs } from "../_support/peers.ts";

Deno.test("delay proxy: two ping-pongs after TCP's handshake are three round trips, and take at least that long", async () => {
  const delayMs = 15;
  const echo = createServer((s) => s.on("data", (d) => s.write(`pong ${d}`)));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const proxy = await startDelayProxy({
    target: { hostname: "127.0.0.1", port: (echo.address() as { port: number }).port },
    delayMs,
  });
  const client: Socket = createConnection({ host: "127.0.0.1", port: proxy.port });
  const reply = () => new Promise<string>((r) => client.once("data", (d) => r(String(d))));
  try {
    await new Promise((r) => client.once("connect", r));
    client.write("1");
    assert.equal(await reply(), "pong 1");
    client.write("2");
    assert.equal(await reply(), "pong 2");
    const lastByteAt = performance.now();
    const capture = proxy.captures[0];
    assert.equal(countRoundTrips(capture, lastByteAt), 3);
    assert.ok(lastByteAt - capture.acceptedAt >= 3 * 2 * delayMs - 3, `${lastByteAt - capture.acceptedAt} ms`);
    assert.deepEqual(flights(capture).map((f) => f.synthetic ?? `${f.dir} ${f.bytes}`), [
      "SYN",
      "SYN-ACK",
      "c2s 1",
      "s2c 6",
      "c2s 1",
      "s2c 6",
    ]);
  } finally {
    client.destroy();
    await proxy.close();
    await new Promise((r) => echo.close(r));
  }
});

Deno.test({
  name: "rtt lab --quick: 0-RTT saves a round trip over our full handshake, TLS 1.3 over 1.2, and HRR costs one",
  ...needs("openssl", "node"),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "rtt-lab-test-" });
    try {
      const lab = new URL("../../bench/rtt/lab.ts", import.meta.url).pathname;
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", lab, "--quick", "--out", out],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 0, text);
      const file = [...Deno.readDirSync(out)].find((e) => e.name.endsWith(".json"))!.name;
      const result: LabResult = JSON.parse(await Deno.readTextFile(`${out}/${file}`));
      assert.ok(Deno.statSync(`${out}/${file.replace(/json$/, "svg")}`).size > 500);
      const rtt = (id: string): number => {
        const row: Row | undefined = result.rows.find((r) => r.id === id);
        assert.ok(row, `no row ${id}`);
        assert.equal(row.pending, undefined, `${id}: ${row.pending}`);
        assert.deepEqual(row.problems, [], `${id} did not do what it claims\n${text}`);
        return row.roundTrips!;
      };

      assert.equal(rtt("ours-0rtt@openssl"), rtt("ours-full@openssl") - 1, text);
      assert.ok(rtt("ours-full@openssl") < rtt("tls12-full"), text);
      assert.ok(rtt("native13-full") < rtt("tls12-full"), text);
      assert.equal(rtt("ours-hrr@openssl"), rtt("ours-full@openssl") + 1, text);
      assert.equal(rtt("ours-hrr@ours"), rtt("ours-full@ours") + 1, text);
      assert.equal(rtt("tls12-resumed"), rtt("tls12-full") - 1, text);
      assert.equal(rtt("ours-resumed@openssl"), rtt("ours-full@openssl"), text);
      // Our client's rows once connectTls resumes and sends 0-RTT (pending, with the reason, before that).
      if (!result.rows.find((r) => r.id === "ours-0rtt@ours")?.pending) {
        assert.equal(rtt("ours-0rtt@ours"), rtt("ours-full@ours") - 1, text);
        assert.equal(rtt("ours-resumed@ours"), rtt("ours-full@ours"), text);
      }

      // No row can beat physics: each counted round trip spent 2 × delay in the proxy.
      for (const row of result.rows.filter((r) => r.medianTtfbMs !== null)) {
        assert.ok(
          row.medianTtfbMs! >= row.roundTrips! * result.rttMs - row.roundTrips!,
          `${row.id}: ${row.medianTtfbMs} ms`,
        );
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
