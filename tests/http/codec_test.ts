/**
 * Claims about the sans-IO HTTP/1.1 codec (src/http): every framing and syntax rule of RFC 9112 that
 * the server enforces, each refusal with its status, smuggling attempts, and that byte-at-a-time input
 * and pipelined input parse exactly like whole messages.
 */
import assert from "node:assert/strict";
import { encodeChunk, encodeLastChunk } from "../../src/http/chunked.ts";
import { HttpError } from "../../src/http/errors.ts";
import { type RequestEvent, type RequestHead, RequestParser } from "../../src/http/request_parser.ts";
import { type ResponseEvent, ResponseParser } from "../../src/http/response_parser.ts";
import type { HttpLimits } from "../../src/http/limits.ts";
import {
  chooseResponseFraming,
  errorResponse,
  httpDate,
  responseFields,
  serializeResponseHead,
} from "../../src/http/response_writer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A readable summary of events: heads as "METHOD target", bodies joined, trailers listed. */
type Summary = { heads: RequestHead[]; bodies: string[]; trailers: [string, string][][]; eof: boolean };

function drain(parser: RequestParser, into: Summary, current: { body: string }): void {
  for (let event = parser.next(); event !== null; event = parser.next()) {
    record(event, into, current);
    if (event.type === "eof") return; // reported again on every call: the connection is over
  }
}

function record(event: RequestEvent, into: Summary, current: { body: string }): void {
  if (event.type === "head") into.heads.push(event.head);
  else if (event.type === "data") current.body += dec.decode(event.data);
  else if (event.type === "end") {
    into.bodies.push(current.body);
    into.trailers.push(event.trailers);
    current.body = "";
  } else into.eof = true;
}

/** Parses `input` fed whole (or one byte at a time), then EOF. */
function parse(input: string | Uint8Array, options: { limits?: Partial<HttpLimits>; bytewise?: boolean } = {}) {
  const bytes = typeof input === "string" ? enc.encode(input) : input;
  const parser = new RequestParser(options.limits);
  const summary: Summary = { heads: [], bodies: [], trailers: [], eof: false };
  const current = { body: "" };
  if (options.bytewise) {
    for (let i = 0; i < bytes.length; i++) {
      parser.feed(bytes.slice(i, i + 1));
      drain(parser, summary, current);
    }
  } else {
    parser.feed(bytes);
    drain(parser, summary, current);
  }
  parser.feedEof();
  drain(parser, summary, current);
  return summary;
}

/** The HttpError that parsing `input` throws. */
function refusal(input: string | Uint8Array, limits?: Partial<HttpLimits>): HttpError {
  try {
    parse(input, { limits });
  } catch (error) {
    assert.ok(error instanceof HttpError, `not an HttpError: ${error}`);
    return error;
  }
  assert.fail(`accepted: ${JSON.stringify(typeof input === "string" ? input : "<bytes>")}`);
}

function assertRefused(input: string, status: number, code?: string, limits?: Partial<HttpLimits>) {
  const error = refusal(input, limits);
  assert.equal(error.status, status, `${JSON.stringify(input.slice(0, 80))}: ${error.message}`);
  if (code) assert.equal(error.code, code, JSON.stringify(input.slice(0, 80)));
}

const get = (extra = "", target = "/") => `GET ${target} HTTP/1.1\r\nHost: example.test\r\n${extra}\r\n`;
const post = (framing: string, body: string) => `POST /upload HTTP/1.1\r\nHost: example.test\r\n${framing}\r\n${body}`;

Deno.test("a request head parses into method, target, version and fields in arrival order", () => {
  const { heads, bodies } = parse(
    "GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nX-B: 2\r\nx-a:  1 \t\r\nX-B: 3\r\n\r\n",
  );
  assert.equal(heads.length, 1);
  const head = heads[0];
  assert.equal(head.method, "GET");
  assert.equal(head.target, "/a?b=c");
  assert.equal(head.targetForm, "origin");
  assert.equal(head.version, "1.1");
  assert.deepEqual(head.headers, [["Host", "example.test"], ["X-B", "2"], ["x-a", "1"], ["X-B", "3"]]);
  assert.equal(head.host, "example.test");
  assert.equal(head.keepAlive, true);
  assert.deepEqual(head.framing, { kind: "none" });
  assert.deepEqual(bodies, [""]);
});

const pipelined = get("X-N: 1\r\n") +
  post("Content-Length: 5\r\n", "hello") +
  post("Transfer-Encoding: chunked\r\n", "3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nDigest: x\r\nMore: y\r\n\r\n") +
  get("Connection: close\r\n", "/last");

Deno.test("pipelined requests in one buffer come out in order, each with its own body", () => {
  const { heads, bodies, trailers, eof } = parse(pipelined);
  assert.deepEqual(heads.map((h) => `${h.method} ${h.target}`), ["GET /", "POST /upload", "POST /upload", "GET /last"]);
  assert.deepEqual(bodies, ["", "hello", "abc0123456789", ""]);
  assert.deepEqual(trailers[2], [["Digest", "x"], ["More", "y"]]);
  assert.equal(heads[3].keepAlive, false);
  assert.equal(eof, true);
});

Deno.test("bytes fed one at a time parse exactly like the whole buffer", () => {
  const whole = parse(pipelined);
  const bytewise = parse(pipelined, { bytewise: true });
  assert.deepEqual(bytewise, whole);
});

Deno.test("three pipelined requests arrive split at every possible point", () => {
  const three = get("", "/1") + post("Content-Length: 3\r\n", "abc") + get("", "/3");
  const bytes = enc.encode(three);
  for (let cut = 1; cut < bytes.length; cut++) {
    const parser = new RequestParser();
    const summary: Summary = { heads: [], bodies: [], trailers: [], eof: false };
    const current = { body: "" };
    parser.feed(bytes.slice(0, cut));
    drain(parser, summary, current);
    parser.feed(bytes.slice(cut));
    drain(parser, summary, current);
    assert.deepEqual(summary.heads.map((h) => h.target), ["/1", "/upload", "/3"], `cut at ${cut}`);
    assert.deepEqual(summary.bodies, ["", "abc", ""], `cut at ${cut}`);
  }
});

Deno.test("empty lines before a request line are ignored (RFC 9112 §2.2)", () => {
  const { heads } = parse("\r\n\r\n" + get(), { bytewise: true });
  assert.equal(heads.length, 1);
});

Deno.test("EOF between messages is a clean end; EOF inside one is 400", () => {
  assert.equal(parse(get()).eof, true);
  assertRefused("GET / HTTP/1.1\r\nHost: x\r\n", 400, "truncated_message");
  assertRefused(post("Content-Length: 10\r\n", "short"), 400, "truncated_message");
  assertRefused(post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n"), 400, "truncated_message");
});

Deno.test("request line: exactly three parts separated by single spaces, method a token", () => {
  assertRefused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  assertRefused("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "bad_request_line");
  assertRefused("GET /\r\nHost: x\r\n\r\n", 400, "bad_request_line"); // HTTP/0.9
  assertRefused("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  assertRefused("GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  assertRefused(" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  assertRefused("\x00GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
});

Deno.test("version: HTTP/1.0 and 1.1 served, 1.x as 1.1, other majors 505, anything else 400", () => {
  assert.equal(parse("GET / HTTP/1.0\r\n\r\n").heads[0].version, "1.0");
  assert.equal(parse("GET / HTTP/1.2\r\nHost: x\r\n\r\n").heads[0].version, "1.1");
  assertRefused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "version_not_supported");
  assertRefused("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505, "version_not_supported");
  assertRefused("GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, "version_not_supported");
  assertRefused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "version_not_supported");
  for (const version of ["HTTP/1.1x", "HTTP/11", "http/1.1", "HTTP/1", "HTTP/3", "HTTP/1.10", "FOO", "HTTP/ 1.1"]) {
    assertRefused(`GET / ${version}\r\nHost: x\r\n\r\n`, 400, undefined);
  }
});

Deno.test("request-target: its four forms, each only where RFC 9112 §3.2 allows it", () => {
  const absolute = parse("GET https://other.test/p?q HTTP/1.1\r\nHost: example.test\r\n\r\n").heads[0];
  assert.equal(absolute.targetForm, "absolute");
  assert.equal(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").heads[0].targetForm, "asterisk");
  assert.equal(parse("CONNECT example.test:443 HTTP/1.1\r\nHost: x\r\n\r\n").heads[0].targetForm, "authority");
  assertRefused("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target");
  assertRefused("GET foo HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target");
  assertRefused("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target");
  assertRefused("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target");
  assertRefused("GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target");
  assertRefused("CONNECT /path HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target");
});

Deno.test("414 for a target over the limit, complete or still arriving", () => {
  const limits = { maxTargetLength: 100 };
  assert.equal(parse(get("", "/" + "a".repeat(99)), { limits }).heads.length, 1);
  assertRefused(get("", "/" + "a".repeat(100)), 414, "uri_too_long", limits);
  // No line end yet: the request line alone has outgrown any target we accept.
  assertRefused("GET /" + "a".repeat(500), 414, "uri_too_long", limits);
  assertRefused("x".repeat(500), 400, "bad_request_line", limits);
});

Deno.test("431 for a head over the size limit or with too many fields", () => {
  const limits = { maxHeadSize: 200, maxFieldCount: 5 };
  assertRefused(get("X-Big: " + "v".repeat(200) + "\r\n"), 431, "header_too_large", limits);
  assertRefused("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "v".repeat(300), 431, "header_too_large", limits);
  assertRefused(get("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n"), 431, "header_too_large", limits);
  assert.equal(parse(get("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), { limits }).heads.length, 1);
});

Deno.test("field lines: name a token, no space before the colon, no obs-fold, no controls in values", () => {
  assertRefused(get("Foo : bar\r\n"), 400, "bad_field_name");
  assertRefused("GET / HTTP/1.1\r\nHost : example.test\r\n\r\n", 400, "bad_field_name");
  assertRefused(get("Fo o: bar\r\n"), 400, "bad_field_name");
  assertRefused(get("Foo\t: bar\r\n"), 400, "bad_field_name");
  assertRefused(get(": bar\r\n"), 400, "bad_field_name");
  assertRefused(get("NoColon\r\n"), 400, "bad_field_name");
  assertRefused(get('Fo"o: bar\r\n'), 400, "bad_field_name");
  assertRefused(get("Foo: bar\r\n continued\r\n"), 400, "obs_fold");
  assertRefused(get("Foo: bar\r\n\tcontinued\r\n"), 400, "obs_fold");
  assertRefused(get("Foo: a\rb\r\n"), 400, "bad_field_value");
  assertRefused(get("Foo: a\x00b\r\n"), 400, "bad_field_value");
  assertRefused(get("Foo: a\x01b\r\n"), 400, "bad_field_value");
  assertRefused(get("Foo: a\x7fb\r\n"), 400, "bad_field_value");
  assertRefused(get("Foo: bar\r\r\n"), 400, "bad_field_value");
  // obs-text passes through byte for byte (RFC 9110 §5.5).
  const bytes = enc.encode(get("Foo: caf_\r\n"));
  bytes[bytes.indexOf(0x5f)] = 0xe9;
  assert.deepEqual(parse(bytes).heads[0].headers[1], ["Foo", "caf\xe9"]);
});

Deno.test("line endings are CRLF only: a bare LF anywhere in a head is 400", () => {
  assertRefused("GET / HTTP/1.1\nHost: x\n\n", 400, "bare_line_feed");
  assertRefused("GET / HTTP/1.1\r\nHost: x\n\r\n", 400, "bare_line_feed");
  assertRefused("GET / HTTP/1.1\r\nHost: x\r\n\n", 400, "bare_line_feed");
  assertRefused("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bare_line_feed");
});

Deno.test("Host: exactly one valid Host in HTTP/1.1; HTTP/1.0 may omit it", () => {
  assertRefused("GET / HTTP/1.1\r\n\r\n", 400, "missing_host");
  assertRefused("GET / HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n", 400, "duplicate_host");
  assertRefused("GET / HTTP/1.0\r\nHost: a.test\r\nhost: b.test\r\n\r\n", 400, "duplicate_host");
  for (const bad of ["a b", "a/b", "a@b", "a?b", "a.test:8x", "[::1", "a.test:123456", "a#b"]) {
    assertRefused(`GET / HTTP/1.1\r\nHost: ${bad}\r\n\r\n`, 400, "bad_host");
  }
  for (const good of ["a.test", "a.test:8443", "127.0.0.1", "[::1]:443", "xn--bcher-kva.test", ""]) {
    assert.equal(parse(`GET / HTTP/1.1\r\nHost: ${good}\r\n\r\n`).heads[0].host, good);
  }
  assert.equal(parse("GET / HTTP/1.0\r\n\r\n").heads[0].host, null);
  assertRefused("GET https://a.test/ HTTP/1.1\r\n\r\n", 400, "missing_host");
});

Deno.test("smuggling: Content-Length with Transfer-Encoding is 400, in either order", () => {
  assertRefused(
    post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
    400,
    "content_length_with_transfer_encoding",
  );
  assertRefused(
    post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
    400,
    "content_length_with_transfer_encoding",
  );
});

Deno.test("smuggling: Transfer-Encoding must be exactly chunked", () => {
  assertRefused(post("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"), 400, "chunked_twice");
  assertRefused(
    post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
    400,
    "chunked_twice",
  );
  assertRefused(post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"), 400, "chunked_not_final");
  assertRefused(post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), 400, "chunked_not_final");
  assertRefused(post("Transfer-Encoding: identity\r\n", ""), 400, "chunked_not_final");
  assertRefused(post("Transfer-Encoding: \r\n", ""), 400, "chunked_not_final");
  assertRefused(post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 501, "unknown_transfer_coding");
  assertRefused(post("Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n"), 400, "bad_transfer_encoding");
  assertRefused(post('Transfer-Encoding: "chunked"\r\n', "0\r\n\r\n"), 400, "bad_transfer_encoding");
  assertRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "transfer_encoding_in_http10");
  // Case-insensitive coding names and empty list elements are fine.
  assert.deepEqual(parse(post("Transfer-Encoding: , CHUNKED\r\n", "0\r\n\r\n")).heads[0].framing, { kind: "chunked" });
});

Deno.test("Content-Length: identical repeats accepted, any difference or malformed value is 400", () => {
  const length = (framing: string) => parse(post(framing, "hello")).heads[0].framing;
  assert.deepEqual(length("Content-Length: 5\r\n"), { kind: "length", length: 5 });
  assert.deepEqual(length("Content-Length: 5, 5\r\n"), { kind: "length", length: 5 });
  assert.deepEqual(length("Content-Length: 5\r\nContent-Length: 5\r\n"), { kind: "length", length: 5 });
  assertRefused(post("Content-Length: 5, 6\r\n", "hello"), 400, "conflicting_content_length");
  assertRefused(post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello"), 400, "conflicting_content_length");
  assertRefused(post("Content-Length: 5\r\nContent-Length: 05\r\n", "hello"), 400, "conflicting_content_length");
  for (const bad of ["+5", "-5", "0x5", "5 5", "5,", "", "five", "5.0", "99999999999999999999"]) {
    assertRefused(post(`Content-Length: ${bad}\r\n`, "hello"), 400, "bad_content_length");
  }
});

Deno.test("413 for a body over the limit: at once for Content-Length, as chunks announce it", () => {
  const limits = { maxBodySize: 10 };
  assert.deepEqual(parse(post("Content-Length: 10\r\n", "0123456789"), { limits }).bodies, ["0123456789"]);
  assertRefused(post("Content-Length: 11\r\n", ""), 413, "content_too_large", limits);
  assertRefused(post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n6\r\n"), 413, "content_too_large", limits);
});

Deno.test("chunk sizes: hex digits only, no junk before or after, no overflow", () => {
  const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
  assert.deepEqual(parse(chunked("000a\r\n0123456789\r\n0000\r\n\r\n")).bodies, ["0123456789"]);
  assert.deepEqual(parse(chunked("A\r\n0123456789\r\n0\r\n\r\n")).bodies, ["0123456789"]);
  for (const size of [" 5", "5 ", "+5", "-5", "0x5", "5z", "5\t", "", "5 ;", "5;", "5;a=", "5;=b", '5;a="x', "5;a b"]) {
    assertRefused(chunked(`${size}\r\nhello\r\n0\r\n\r\n`), 400, "bad_chunk_size");
  }
  assertRefused(chunked("fffffffffffffffffff\r\n"), 400, "bad_chunk_size");
  assertRefused(chunked("20000000000000\r\n"), 400, "bad_chunk_size"); // 2^53
  assertRefused(chunked("1fffffffffffff\r\n"), 413, "content_too_large"); // 2^53 - 1 parses, over the body limit
});

Deno.test("chunk extensions are checked and ignored, and their length is bounded", () => {
  const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
  const body = '5 ; name=value;flag ;q="quo\\"ted"\r\nhello\r\n0;last\r\n\r\n';
  assert.deepEqual(parse(chunked(body)).bodies, ["hello"]);
  assertRefused(chunked(`5;${"x".repeat(2000)}\r\nhello\r\n0\r\n\r\n`), 400, "chunk_line_too_long");
  assertRefused(chunked(`5;${"x".repeat(2000)}`), 400, "chunk_line_too_long");
});

Deno.test("chunk data must be followed by exactly CRLF; chunk lines end in CRLF", () => {
  const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
  assertRefused(chunked("5\r\nhelloX\r\n0\r\n\r\n"), 400, "missing_chunk_crlf");
  assertRefused(chunked("5\r\nhello\rX0\r\n\r\n"), 400, "missing_chunk_crlf");
  assertRefused(chunked("5\r\nhello\n0\r\n\r\n"), 400, "missing_chunk_crlf");
  assertRefused(chunked("5\r\nhello world\r\n0\r\n\r\n"), 400, "missing_chunk_crlf");
  assertRefused(chunked("5\nhello\r\n0\r\n\r\n"), 400, "bare_line_feed");
  assertRefused(chunked("5\r\nhello\r\n0\r\n\n"), 400, "bare_line_feed");
});

Deno.test("chunked trailers are parsed with the same field rules and bounded", () => {
  const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
  assert.deepEqual(parse(chunked("0\r\nA: 1\r\nB:2\r\n\r\n")).trailers[0], [["A", "1"], ["B", "2"]]);
  assertRefused(chunked("0\r\nBad Name: 1\r\n\r\n"), 400, "bad_field_name");
  assertRefused(chunked("0\r\nA: 1\r\n folded\r\n\r\n"), 400, "obs_fold");
  assertRefused(chunked("0\r\nA: " + "x".repeat(100) + "\r\n\r\n"), 431, "header_too_large", { maxTrailerSize: 50 });
});

Deno.test("smuggled second request inside a body is only ever body bytes", () => {
  // The Content-Length body contains something that looks like a request: it must stay body.
  const inner = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n";
  const { heads, bodies } = parse(post(`Content-Length: ${inner.length}\r\n`, inner) + get("", "/next"));
  assert.deepEqual(heads.map((h) => h.target), ["/upload", "/next"]);
  assert.equal(bodies[0], inner);
});

Deno.test("keep-alive per RFC 9112 §9.3", () => {
  const keep = (text: string) => parse(text).heads[0].keepAlive;
  assert.equal(keep("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true);
  assert.equal(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), false);
  assert.equal(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, CLOSE\r\n\r\n"), false);
  assert.equal(keep("GET / HTTP/1.0\r\n\r\n"), false);
  assert.equal(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), true);
  assert.equal(keep("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"), false);
});

Deno.test("after an error the parser stays failed with the same error", () => {
  const parser = new RequestParser();
  parser.feed(enc.encode("GET / HTTP/9.9\r\n\r\n"));
  const first = (() => {
    try {
      parser.next();
    } catch (error) {
      return error;
    }
  })();
  assert.ok(first instanceof HttpError);
  parser.feed(enc.encode(get()));
  assert.throws(() => parser.next(), (error) => error === first);
});

Deno.test("chunked encoder output decodes back to the same body and trailers", () => {
  const parts = ["a", "bc", "x".repeat(5000), ""].map((s) => enc.encode(s));
  const encoded = parts.map(encodeChunk).concat([encodeLastChunk([["Checksum", "abc"]])]);
  assert.equal(encodeChunk(new Uint8Array(0)).length, 0);
  const body = encoded.map((b) => dec.decode(b)).join("");
  const { bodies, trailers } = parse(post("Transfer-Encoding: chunked\r\n", body), { bytewise: false });
  assert.equal(bodies[0], "abc" + "x".repeat(5000));
  assert.deepEqual(trailers[0], [["Checksum", "abc"]]);
  assert.equal(dec.decode(encodeChunk(enc.encode("hello"))), "5\r\nhello\r\n");
});

Deno.test("response framing: none for HEAD/1xx/204/304, length when known, chunked, close for HTTP/1.0", () => {
  const base = {
    requestMethod: "GET",
    requestVersion: "1.1" as const,
    status: 200,
    hasBody: true,
    knownLength: null,
    declaredLength: null,
  };
  assert.deepEqual(chooseResponseFraming({ ...base, requestMethod: "HEAD" }), { kind: "none" });
  for (const status of [100, 204, 304]) assert.deepEqual(chooseResponseFraming({ ...base, status }), { kind: "none" });
  assert.deepEqual(chooseResponseFraming({ ...base, status: 205 }), { kind: "length", length: 0 });
  assert.deepEqual(chooseResponseFraming({ ...base, hasBody: false }), { kind: "length", length: 0 });
  assert.deepEqual(chooseResponseFraming({ ...base, knownLength: 12 }), { kind: "length", length: 12 });
  assert.deepEqual(chooseResponseFraming({ ...base, declaredLength: 7 }), { kind: "length", length: 7 });
  assert.deepEqual(chooseResponseFraming(base), { kind: "chunked" });
  assert.deepEqual(chooseResponseFraming({ ...base, requestVersion: "1.0" }), { kind: "close" });
});

Deno.test("response fields: hop-by-hop fields replaced, Set-Cookie kept apart, Date added, Connection said", () => {
  const headers = new Headers([
    ["content-type", "text/plain"],
    ["connection", "keep-alive"],
    ["transfer-encoding", "gzip"],
    ["content-length", "999"],
    ["set-cookie", "a=1; Path=/"],
    ["set-cookie", "b=2, c=3"],
  ]);
  const input = {
    requestMethod: "GET",
    requestVersion: "1.1" as const,
    status: 200,
    hasBody: true,
    knownLength: 5,
    declaredLength: 999,
    headers,
    framing: { kind: "length" as const, length: 5 },
    keepAlive: false,
  };
  const fields = responseFields(input);
  assert.deepEqual(fields.filter(([n]) => n !== "date"), [
    ["content-type", "text/plain"],
    ["set-cookie", "a=1; Path=/"],
    ["set-cookie", "b=2, c=3"],
    ["content-length", "5"],
    ["connection", "close"],
  ]);
  assert.equal(fields.find(([n]) => n === "date")?.[1], httpDate());
  const head = responseFields({ ...input, requestMethod: "HEAD", framing: { kind: "none" }, keepAlive: true });
  assert.deepEqual(head.filter(([n]) => n === "content-length"), [["content-length", "999"]]);
  const noContent = responseFields({ ...input, status: 204, framing: { kind: "none" }, keepAlive: true });
  assert.equal(noContent.some(([n]) => n === "content-length"), false);
  const http10 = responseFields({ ...input, requestVersion: "1.0", keepAlive: true });
  assert.deepEqual(http10.at(-1), ["connection", "keep-alive"]);
});

Deno.test("response heads serialize as a status line, fields and an empty line", () => {
  const head = dec.decode(serializeResponseHead(404, "", [["x", "1"]]));
  assert.equal(head, "HTTP/1.1 404 Not Found\r\nx: 1\r\n\r\n");
  assert.equal(dec.decode(serializeResponseHead(299, "", [])), "HTTP/1.1 299 \r\n\r\n");
  assert.throws(() => serializeResponseHead(200, "", [["x", "a\u0100"]]), TypeError);
  assert.throws(() => serializeResponseHead(200, "", [["bad name", "a"]]), TypeError);
  const error = dec.decode(errorResponse(431));
  assert.match(error, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(error, /\r\nconnection: close\r\n/);
  assert.match(error, /\r\ncontent-length: 36\r\n/);
  assert.match(error, /\r\n\r\n431 Request Header Fields Too Large\n$/);
});

Deno.test("Date is an IMF-fixdate, cached per second", () => {
  assert.equal(httpDate(Date.UTC(1994, 10, 6, 8, 49, 37, 120)), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(httpDate(Date.UTC(1994, 10, 6, 8, 49, 37, 990)), "Sun, 06 Nov 1994 08:49:37 GMT");
});

/** Runs a response parser over `text`, answering requests with `methods` in turn; returns its events. */
function parseResponses(text: string, methods: string[], bytewise = false): ResponseEvent[] {
  const parser = new ResponseParser();
  const events: ResponseEvent[] = [];
  const bytes = enc.encode(text);
  const pending = [...methods];
  parser.expect(pending.shift()!);
  const pump = () => {
    for (let event = parser.next(); event !== null; event = parser.next()) {
      events.push(event);
      // After the end of a final (non-1xx) response, the next request's response is due.
      if (event.type === "end" && lastHeadStatus(events) >= 200 && pending.length > 0) parser.expect(pending.shift()!);
    }
  };
  const step = bytewise ? 1 : bytes.length;
  for (let i = 0; i < bytes.length; i += step) {
    parser.feed(bytes.slice(i, i + step));
    pump();
  }
  parser.feedEof();
  pump();
  return events;
}

function lastHeadStatus(events: ResponseEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event.type === "head") return event.head.status;
  }
  return 0;
}

function describe(events: ResponseEvent[]): string[] {
  return events.map((e) =>
    e.type === "head" ? `head ${e.head.status} ${e.head.framing.kind}` : e.type === "data" ? dec.decode(e.data) : "end"
  );
}

Deno.test("response parser: interim 1xx, HEAD, 204, length, chunked and close-delimited bodies", () => {
  const text = "HTTP/1.1 100 Continue\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" +
    "HTTP/1.1 204 No Content\r\n\r\n" +
    "HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
    "HTTP/1.0 200 OK\r\n\r\nuntil close";
  const methods = ["POST", "HEAD", "GET", "GET", "GET"];
  const expected = [
    "head 100 none",
    "end",
    "head 200 length",
    "hello",
    "end",
    "head 200 none",
    "end",
    "head 204 none",
    "end",
    "head 200 chunked",
    "abc",
    "end",
    "head 200 close",
    "until close",
    "end",
  ];
  assert.deepEqual(describe(parseResponses(text, methods)), expected);
  const bytewise = describe(parseResponses(text, methods, true));
  assert.deepEqual(
    bytewise.filter((e) => e.startsWith("head") || e === "end"),
    expected.filter((e) => e.startsWith("head") || e === "end"),
  );
  assert.equal(bytewise.filter((e) => !e.startsWith("head") && e !== "end").join(""), "helloabcuntil close");
});

Deno.test("response parser refuses ambiguous framing and malformed status lines", () => {
  const refuse = (text: string, code: string) => {
    assert.throws(() => parseResponses(text, ["GET"]), (e) => e instanceof HttpError && e.code === code, text);
  };
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    "content_length_with_transfer_encoding",
  );
  refuse("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "conflicting_content_length");
  refuse("HTTP/1.1 200 OK\nContent-Length: 5\n\n", "bare_line_feed");
  refuse("HTTP/1.1 20 OK\r\n\r\n", "bad_request_line");
  refuse("HTTP/2.0 200 OK\r\n\r\n", "version_not_supported");
  refuse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "truncated_message");
});
