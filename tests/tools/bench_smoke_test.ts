/**
 * The benchmark's quick mode as a smoke test: on each runtime, every row runs against every server, and ours (both
 * providers) completes its work with no error: every keep-alive body kind answered 200, full handshakes not resumed,
 * resumed ones resumed, bulk transfers whole, idle connections opened. It checks that the bench works and that our
 * server survives its load; it says nothing about speed (timings on this shared machine are noise).
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";

const root = new URL("../..", import.meta.url).pathname;

interface RuntimeRecord {
  skipped?: string;
  failures: string[];
  results: { impl: string; requests: Record<string, { requests: number }> }[];
}

for (const runtime of ["deno", "bun", "node"]) {
  Deno.test({
    name: `bench --quick on ${runtime}: every row runs, and ours serves all of it without an error`,
    ...needs("wrk", "curl"),
    async fn() {
      const json = await Deno.makeTempFile({ suffix: ".json" });
      try {
        const args = ["run", "-A", "bench/run.ts", "--quick", "--no-save", "--runtime", runtime, "--json", json];
        const out = await new Deno.Command(Deno.execPath(), { args, cwd: root, stdout: "piped", stderr: "piped" })
          .output();
        const tail = new TextDecoder().decode(out.stderr).slice(-2000);
        assert.equal(out.code, 0, `bench/run.ts failed:\n${tail}`);
        const record = JSON.parse(await Deno.readTextFile(json))[runtime] as RuntimeRecord;
        assert.equal(record.skipped, undefined, `${runtime} was skipped`);
        assert.deepEqual(record.failures, []);
        const impls = record.results.map((r) => r.impl);
        const expected = runtime === "node"
          ? ["ours-noble", "ours-native", "native", "lemon"]
          : ["ours-noble", "ours-native", "native"];
        assert.deepEqual(impls, expected);
        for (const r of record.results.filter((r) => r.impl.startsWith("ours"))) {
          assert.deepEqual(Object.keys(r.requests).sort(), ["bytes", "json", "stream", "text"]);
        }
      } finally {
        await Deno.remove(json).catch(() => {});
      }
    },
  });
}
