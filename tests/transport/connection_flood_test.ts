/**
 * Issue 16, "Connection floods": a server holding many connections never locks a new client out. With
 * 10,000 silent TCP connections, or 10,000 idle TLS keep-alive connections, open against `serve()` (the
 * example app, default budgets), curl still gets its answer at once; the server's memory stays bounded and
 * its connection count returns to zero once the flood is gone. With small budgets, what is reclaimed is
 * what should be: the longest-idle established connections (with close_notify) and silent handshakes,
 * reported as counts. On Deno, Bun and Node; the floods come from a Bun process (tests/fixtures/flood_client.ts).
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";
import { Child, startFixture } from "../_support/processes.ts";
import { command, runtimes } from "../_support/runtimes.ts";

const flooder = new URL("../fixtures/flood_client.ts", import.meta.url).pathname;
const ca = new URL("../../certs/out/ca.pem", import.meta.url).pathname;

/** The first line at or after index `from` matching `re` (polls; the Child helper only looks from the start). */
async function lineAfter(child: Child, re: RegExp, from: number, timeout: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (let i = from; i < child.lines.length; i++) {
      const m = child.lines[i].match(re);
      if (m) return m;
    }
    if (Date.now() > deadline) throw new Error(`no ${re} within ${timeout} ms:\n${child.lines.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the flood client reports at least `n` connections ended by the server; returns the report. */
async function endedAtLeast(client: Child, n: number, timeout: number): Promise<{ ended: number; notified: number }> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const last = client.lines.findLast((l) => /^(OPEN \d+ )?ENDED \d+/.test(l)) ?? "";
    const ended = Number(last.match(/ENDED (\d+)/)?.[1] ?? 0);
    if (ended >= n) return { ended, notified: Number(last.match(/CLOSE_NOTIFY (\d+)/)?.[1] ?? 0) };
    if (Date.now() > deadline) throw new Error(`only ${ended} of ${n} connections ended: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `check()` holds (the server prints its counts every 200 ms, its reports per interval). */
async function eventually(check: () => boolean, what: () => string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeout} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Idle connections reclaimed, summed over the server's reports from index `from` on. */
function idleReclaimed(server: Child, from: number): number {
  return server.lines.slice(from).flatMap((l) => l.match(/^RECLAIMED (.*)/)?.[1] ?? [])
    .map((j) => JSON.parse(j)).reduce((sum, r) => sum + r.idle, 0);
}

/** Largest `CONNECTIONS n RSS k` seen from index `from` on. */
function peak(child: Child, from: number): { connections: number; rssKiB: number } {
  let connections = 0;
  let rssKiB = 0;
  for (const line of child.lines.slice(from)) {
    const m = line.match(/^CONNECTIONS (\d+) RSS (\d+)/);
    if (m) {
      connections = Math.max(connections, Number(m[1]));
      rssKiB = Math.max(rssKiB, Number(m[2]));
    }
  }
  return { connections, rssKiB };
}

async function curl(port: number): Promise<string> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "--max-time", "5", "--cacert", ca, "--resolve", `localhost:${port}:127.0.0.1`, "-o", "/dev/null"]
      .concat(["-w", "%{http_code}", `https://localhost:${port}/json`]),
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function flood(server: Child, port: number, mode: "tcp" | "https", count: number) {
  const before = server.lines.length;
  const baseline = Number((await lineAfter(server, /^CONNECTIONS \d+ RSS (\d+)/, 0, 5_000))[1]);
  const client = new Child(command("bun", flooder, [mode, String(port), String(count), "120"]));
  try {
    const opened = await client.waitFor(/^OPEN (\d+) ENDED (\d+)/, 110_000);
    // The point of it all: a new client is answered while the flood holds its connections.
    assert.equal(await curl(port), "200", "curl got its response while the flood held its connections");
    return { opened: Number(opened[1]), ended: Number(opened[2]), baseline, client, from: before };
  } catch (e) {
    await client.stop();
    throw e;
  }
}

for (const runtime of runtimes) {
  Deno.test({
    name: `${runtime}: 10,000 silent TCP connections do not lock curl out; silent handshakes are dropped first`,
    ...needs("curl"),
    fn: async () => {
      const { child: server, port } = await startFixture(runtime, "hello_server.ts", [
        JSON.stringify({ monitor: true }),
      ]);
      try {
        const budget = JSON.parse((await server.waitFor(/^BUDGET (.*)/))[1]);
        const f = await flood(server, port, "tcp", 10_000);
        assert.equal(f.opened, 10_000);
        // Beyond the handshake budget, the oldest silent connections made room for the newer ones (curl's too).
        await endedAtLeast(f.client, 10_000 - budget.maxHandshakes + 1, 10_000);
        const { connections, rssKiB } = peak(server, f.from);
        assert.ok(connections <= budget.maxHandshakes + 1, `${connections} open at most`);
        assert.ok(rssKiB - f.baseline < 100 * connections, `RSS grew ${rssKiB - f.baseline} KiB`);
        await lineAfter(server, /^RECLAIMED .*"handshakes":[1-9]/, f.from, 15_000);
        await f.client.stop();
        await lineAfter(server, /^CONNECTIONS 0 /, server.lines.length - 1, 30_000);
      } finally {
        await server.stop();
      }
    },
  });

  Deno.test({
    name: `${runtime}: 10,000 idle TLS keep-alive connections do not lock curl out; the count returns to zero`,
    ...needs("curl"),
    fn: async () => {
      const options = { monitor: true, http: { idleTimeout: 120_000 } };
      const { child: server, port } = await startFixture(runtime, "hello_server.ts", [JSON.stringify(options)]);
      try {
        const f = await flood(server, port, "https", 10_000);
        assert.deepEqual([f.opened, f.ended], [10_000, 0]);
        await eventually(() => peak(server, f.from).connections >= 10_000, () => JSON.stringify(peak(server, f.from)));
        const { connections, rssKiB } = peak(server, f.from);
        assert.ok(rssKiB - f.baseline < 100 * connections, `RSS grew ${rssKiB - f.baseline} KiB for ${connections}`);
        await f.client.stop();
        await lineAfter(server, /^CONNECTIONS 0 /, server.lines.length - 1, 30_000);
      } finally {
        await server.stop();
      }
    },
  });

  Deno.test({
    name: `${runtime}: full budgets close the longest-idle connections with close_notify and report counts`,
    ...needs("curl"),
    fn: async () => {
      const budget = { maxConnections: 300, maxHandshakes: 128, reclaimReportInterval: 300 };
      const options = { monitor: true, http: { idleTimeout: 120_000 }, budget };
      const { child: server, port } = await startFixture(runtime, "hello_server.ts", [JSON.stringify(options)]);
      try {
        const f = await flood(server, port, "https", 600);
        assert.equal(f.opened, 600);
        // 600 established through a budget of 300, then curl's: the 301 idlest were closed, with close_notify.
        const { ended, notified } = await endedAtLeast(f.client, 301, 10_000);
        assert.equal(ended, 301);
        assert.ok(notified >= ended, `${notified} of ${ended} with close_notify`);
        // Reported as counts per interval (300 ms here), adding up to what was closed.
        await eventually(
          () => idleReclaimed(server, f.from) === 301,
          () => `${idleReclaimed(server, f.from)} reported`,
        );
        assert.ok(peak(server, f.from).connections <= 300 + 128 + 1);
        await f.client.stop();
        await lineAfter(server, /^CONNECTIONS 0 /, server.lines.length - 1, 30_000);
      } finally {
        await server.stop();
      }
    },
  });
}
