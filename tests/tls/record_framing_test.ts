/**
 * Record framing (src/tls/record/framing.ts, RFC 8446 §5.1): records come out the same however the stream is
 * cut into chunks; a record inside one chunk is a view of it (no copy), only a record that straddles chunks is
 * copied; header checks fire from the header alone.
 */
import assert from "node:assert/strict";
import { TlsAlert } from "../../src/tls/alert.ts";
import { RecordFramer } from "../../src/tls/record/framing.ts";
import { encodeRecords } from "../_support/memory_pair.ts";

const stream = encodeRecords([
  { type: 22, version: 0x0301, fragment: Uint8Array.from({ length: 300 }, (_, i) => i) },
  { type: 20, version: 0x0303, fragment: Uint8Array.of(1) },
  { type: 23, version: 0x0303, fragment: new Uint8Array(0) },
  { type: 23, version: 0x0303, fragment: new Uint8Array(1000).fill(7) },
]);

function frame(chunkSize: number): { records: Uint8Array[]; views: boolean[] } {
  const framer = new RecordFramer();
  const records: Uint8Array[] = [], views: boolean[] = [];
  for (let o = 0; o < stream.length; o += chunkSize) {
    const chunk = stream.slice(o, o + chunkSize);
    framer.push(chunk);
    for (let r; (r = framer.next(16384));) {
      records.push(Uint8Array.of(...r.header, ...r.fragment));
      views.push(r.fragment.buffer === chunk.buffer);
    }
  }
  return { records, views };
}

Deno.test("framing: the same records whatever the chunk size, and views into a chunk when they fit in it", () => {
  const whole = frame(stream.length);
  assert.equal(whole.records.length, 4);
  assert.deepEqual(whole.views, [true, true, true, true], "one chunk: no record copied");
  for (const size of [1, 2, 4, 5, 6, 7, 100, 305, 306, 311, 1000]) {
    assert.deepEqual(frame(size).records, whole.records, `chunks of ${size}`);
  }
  // Chunks of 311 bytes: the first record (305 bytes) and the CCS fit; the rest straddle.
  assert.deepEqual(frame(311).views.slice(0, 1), [true]);
  assert.ok(!frame(311).views.at(-1), "the straddling record is a copy of its own");
});

Deno.test("framing: the header is judged before the body arrives", () => {
  const refused = (bytes: number[], rule: string) => {
    const f = new RecordFramer();
    f.push(Uint8Array.from(bytes));
    assert.throws(() => f.next(16384), (e) => e instanceof TlsAlert && e.failure === rule);
  };
  refused([23, 3, 3, 0x40, 0x01], "record_overflow");
  refused([24, 3, 3, 0, 1], "record_type_unknown");
  refused([23, 4, 3, 0, 1], "record_version_invalid");
  // A header split over chunks is checked once complete.
  const f = new RecordFramer();
  f.push(Uint8Array.of(23, 3));
  assert.equal(f.next(16384), null);
  f.push(Uint8Array.of(3, 0x41, 0));
  assert.throws(() => f.next(16384), (e) => e instanceof TlsAlert && e.failure === "record_overflow");
});
