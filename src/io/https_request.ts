/**
 * One HTTPS request over our TLS client, with 0-RTT when a cached ticket allows it (RFC 8446 §2.3) and the
 * RFC 8470 retry: a request the server refused to process in early data (425 Too Early) is sent again once
 * the handshake has completed. A server that rejects early data altogether gets the request after the
 * handshake anyway (connectTls resends it), so it is answered exactly once either way.
 *
 * The whole response body is read into memory: this is for tests, examples and the round-trip lab, not a
 * general-purpose fetch.
 */
import { concat } from "../bytes.ts";
import { serializeRequestHead } from "../http/request_writer.ts";
import { type ResponseHead, ResponseParser } from "../http/response_parser.ts";
import { connectTls, type ConnectTlsOptions, type TlsClientInfo } from "./tls_connect.ts";

/** Options of `httpsRequest()`: the TLS client's options plus the request's method, headers and body. */
export interface HttpsRequestOptions extends Omit<ConnectTlsOptions, "hostname" | "port" | "earlyData"> {
  /** Default "GET". */
  method?: string;
  /** Request header fields; Host and Content-Length are added. */
  headers?: HeadersInit;
  /** The request body; a string is sent as UTF-8. */
  body?: Uint8Array | string;
  /** Send the request as 0-RTT early data when the session cache has a ticket that allows it. */
  earlyData?: boolean;
}

/** A response read whole, with what TLS did on the way. */
export interface HttpsResponse {
  /** The status code. */
  status: number;
  /** The response header fields. */
  headers: Headers;
  /** The whole body, decoded from chunked when it was. */
  body: Uint8Array;
  /** What TLS negotiated, including whether the request went out (and was accepted) as early data. */
  tls: TlsClientInfo;
  /** True when the server answered 425 to the early request and it was sent again after the handshake. */
  retriedAfterTooEarly: boolean;
}

/** Sends one request over a new TLS connection and reads the whole response. */
export async function httpsRequest(url: string | URL, options: HttpsRequestOptions = {}): Promise<HttpsResponse> {
  const target = new URL(url);
  const method = options.method ?? "GET";
  const body = typeof options.body === "string" ? new TextEncoder().encode(options.body) : options.body;
  const request = new Request(target, { method, headers: options.headers });
  const framing = body ? { kind: "length" as const, length: body.length } : { kind: "none" as const };
  const bytes = concat([serializeRequestHead(request, framing, false), body ?? new Uint8Array(0)]);
  const conn = await connectTls({
    ...options,
    hostname: target.hostname.replace(/^\[|\]$/g, ""),
    port: Number(target.port || 443),
    servername: options.servername ?? (isIp(target.hostname) ? undefined : target.hostname),
    earlyData: options.earlyData ? bytes : undefined,
  });
  const socket = conn.socket;
  try {
    if (!options.earlyData) await socket.write(bytes);
    const parser = new ResponseParser();
    let response = await readResponse(socket, parser, method);
    let retried = false;
    // RFC 8470 §5.2: 425 to a request sent in early data means "send it again after the handshake".
    if (response.head.status === 425 && conn.info.earlyDataAccepted) {
      await socket.handshakeComplete;
      await socket.write(bytes);
      response = await readResponse(socket, parser, method);
      retried = true;
    }
    return {
      status: response.head.status,
      headers: new Headers(response.head.headers),
      body: response.body,
      tls: conn.info,
      retriedAfterTooEarly: retried,
    };
  } finally {
    socket.close();
  }
}

async function readResponse(
  socket: { read(): Promise<Uint8Array | null> },
  parser: ResponseParser,
  method: string,
): Promise<{ head: ResponseHead; body: Uint8Array }> {
  parser.expect(method);
  let head: ResponseHead | null = null;
  const chunks: Uint8Array[] = [];
  for (;;) {
    const event = parser.next();
    if (event === null) {
      const chunk = await socket.read();
      if (chunk === null) parser.feedEof();
      else parser.feed(chunk);
      continue;
    }
    if (event.type === "head") {
      // Interim responses (1xx) have no body of their own; the final head replaces them.
      head = event.head;
    } else if (event.type === "data") chunks.push(event.data);
    else if (head && head.status >= 200) return { head, body: concat(chunks) };
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
