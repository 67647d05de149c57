/**
 * One HTTP exchange for certificate management (ACME over HTTPS, OCSP over plain HTTP), on our own stack: plain
 * TCP from src/transport, or our TLS client, and the HTTP/1.1 client of src/http. One connection per request,
 * a deadline on the whole exchange, and a cap on the body: the peer is a network service we do not control.
 */
import { concat } from "../bytes.ts";
import { request } from "../http/client.ts";
import { type CaSource, connectTls } from "../io/tls_connect.ts";
import { connect } from "../transport/mod.ts";
import type { Duplex } from "../transport/types.ts";

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
  /** Trust anchors for https URLs (default: the system bundle). */
  ca?: CaSource | readonly CaSource[];
  /** Milliseconds for connect, handshake, request and the whole response (default 30 s). */
  timeout?: number;
  /** Largest body accepted (default 1 MiB). */
  maxBodySize?: number;
}

export interface FetchResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export class FetchError extends Error {
  constructor(readonly url: string, message: string, options?: ErrorOptions) {
    super(`${url}: ${message}`, options);
    this.name = "FetchError";
  }
}

export async function httpFetch(url: string, o: FetchOptions = {}): Promise<FetchResponse> {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:") throw new FetchError(url, "not an http(s) URL");
  const timeout = o.timeout ?? 30_000;
  let conn: Duplex | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      conn?.close();
      reject(new FetchError(url, `no complete answer within ${timeout} ms`));
    }, timeout);
  });
  const exchange = async () => {
    conn = await open(target, o, timeout);
    const response = await request(
      conn,
      new Request(target, { method: o.method ?? "GET", headers: o.headers, body: o.body }),
    );
    const body = await readCapped(response, o.maxBodySize ?? 1024 * 1024, url);
    return { status: response.status, headers: response.headers, body };
  };
  try {
    return await Promise.race([exchange(), deadline]);
  } catch (e) {
    if (e instanceof FetchError) throw e;
    throw new FetchError(url, e instanceof Error ? e.message : String(e), { cause: e });
  } finally {
    clearTimeout(timer);
    (conn as Duplex | null)?.close();
  }
}

async function open(target: URL, o: FetchOptions, timeout: number): Promise<Duplex> {
  const hostname = target.hostname.replace(/^\[|\]$/g, "");
  if (target.protocol === "http:") return await connect({ hostname, port: Number(target.port || 80) });
  const tls = await connectTls({
    hostname,
    port: Number(target.port || 443),
    alpn: ["http/1.1"],
    ca: o.ca,
    handshakeTimeout: timeout,
    sessionCache: false,
  });
  return tls.socket;
}

async function readCapped(response: Response, max: number, url: string): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > max) throw new FetchError(url, `response body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return concat(chunks, size);
}
