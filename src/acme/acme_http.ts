/**
 * acme-client speaks HTTP through axios, whose default adapter is node:http(s): the runtime's TLS. This swaps
 * it, once per process, for an adapter over our own HTTPS client (http_fetch.ts), so that the connection to
 * the ACME server runs on our TLS 1.3 stack like everything else. acme-client's own retries are turned off:
 * the manager retries with its own backoff, which keeps serving meanwhile.
 *
 * The adapter follows axios's contract (an adapter resolves or rejects with `{ data, status, headers, config }`
 * after applying `config.validateStatus`); acme-client reads only these fields.
 */
import type { CaSource } from "../io/tls_connect.ts";
import { httpFetch } from "./http_fetch.ts";

/**
 * Trust anchors given for ACME servers (a staging CA, a test's Pebble); the system bundle when none was. One
 * list for the process: a directory may point to resources on other origins, which must be trusted the same.
 */
const trust: CaSource[] = [];
const registered = new Set<unknown>();
let installed = false;

interface AdapterConfig {
  url: string;
  baseURL?: string;
  method?: string;
  headers?: { toJSON?: () => Record<string, unknown> } & Record<string, unknown>;
  data?: string;
  validateStatus?: ((status: number) => boolean) | null;
}

/**
 * Routes acme-client's requests through our client, trusting `ca` (if given) for ACME servers. acme-client is
 * loaded here, on first use, so that servers without ACME never load it (it costs 200 ms of start-up).
 */
export async function useOurHttps(ca?: CaSource | readonly CaSource[]): Promise<void> {
  if (ca !== undefined && !registered.has(ca)) {
    registered.add(ca);
    trust.push(...(Array.isArray(ca) ? ca : [ca as CaSource]));
  }
  const { default: acme } = await import("acme-client");
  if (installed) return;
  installed = true;
  const instance = acme.axios as unknown as {
    defaults: { adapter: unknown; acmeSettings: { retryMaxAttempts: number } };
  };
  instance.defaults.acmeSettings.retryMaxAttempts = 0;
  instance.defaults.adapter = adapter;
}

async function adapter(config: AdapterConfig) {
  const url = new URL(config.url, config.baseURL).href;
  const raw = config.headers?.toJSON ? config.headers.toJSON() : config.headers ?? {};
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined && v !== null && v !== false) headers[k] = String(v);
  // A network failure carries no `config`, so acme-client's interceptor passes it through unchanged.
  const r = await httpFetch(url, {
    method: (config.method ?? "get").toUpperCase(),
    headers,
    body: config.data,
    ca: trust.length > 0 ? trust : undefined,
    timeout: 30_000,
    maxBodySize: 1024 * 1024,
  });
  const response = {
    data: new TextDecoder().decode(r.body),
    status: r.status,
    statusText: "",
    headers: Object.fromEntries(r.headers),
    config,
    request: {},
  };
  if (config.validateStatus && !config.validateStatus(r.status)) {
    throw Object.assign(new Error(`${url} answered HTTP ${r.status}`), { config, response });
  }
  return response;
}
