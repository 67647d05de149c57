/**
 * A private ACME server for one test: Debian's `pebble` with `pebble-challtestsrv` as its DNS (every name
 * resolves to 127.0.0.1), on free ports, with a listener certificate made by the test. Pebble validates
 * tls-alpn-01 by connecting to `tlsPort`: the port of the server under test.
 *
 * `stop()` then `start()` brings Pebble back on the same ports (an ACME server that was down); Pebble keeps
 * no state, so it comes back with a new CA and forgets accounts.
 */
import { addDays, certPem, exportPkcs8Pem, generateKeys, issue } from "../../certs/issue.ts";
import { httpFetch } from "../../src/acme/http_fetch.ts";
import { Child } from "./processes.ts";
import { freePort } from "./server_peers.ts";

export interface PebbleOptions {
  /** Where Pebble connects for tls-alpn-01. */
  tlsPort: number;
  /** Seconds an issued certificate is valid (Pebble's certificateValidityPeriod). */
  validity?: number;
  /** Also answer AAAA queries with ::1 (where our IPv4-only test servers do not listen); default false. */
  ipv6?: boolean;
  /** The OCSP responder URL Pebble writes into the certificates it issues (it runs no responder itself). */
  ocspResponderUrl?: string;
}

export class Pebble {
  readonly port = freePort();
  readonly managementPort = freePort();
  readonly dnsPort = freePort();
  readonly dnsManagementPort = freePort();
  readonly directoryUrl = `https://127.0.0.1:${this.port}/dir`;
  /** The PEM file that Pebble's own HTTPS listener is trusted through (ACME_CA). */
  listenerCa = "";
  private dir = "";
  private pebble: Child | null = null;
  private dns: Child | null = null;

  constructor(private readonly options: PebbleOptions) {}

  async start(): Promise<void> {
    if (!this.dir) await this.setup();
    this.dns ??= new Child([
      "pebble-challtestsrv",
      "-dns01",
      `127.0.0.1:${this.dnsPort}`,
      "-management",
      `127.0.0.1:${this.dnsManagementPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-defaultIPv6",
      this.options.ipv6 ? "::1" : "",
    ]);
    this.pebble = new Child(
      ["pebble", "-config", `${this.dir}/pebble.json`, "-dnsserver", `127.0.0.1:${this.dnsPort}`],
      // No random validation sleeps and no deliberate bad nonces: the tests want the protocol, not chaos.
      { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    );
    await this.pebble.waitFor(/ACME directory available at/, 30_000);
  }

  /** PEM of the CA Pebble issues under now (changes when Pebble restarts). */
  async issuerRoot(): Promise<string> {
    const r = await httpFetch(`https://127.0.0.1:${this.managementPort}/roots/0`, { ca: { path: this.listenerCa } });
    if (r.status !== 200) throw new Error(`pebble /roots/0 answered ${r.status}`);
    return new TextDecoder().decode(r.body);
  }

  /** Stops answering AAAA queries (pebble-challtestsrv's management API), so validation goes to 127.0.0.1. */
  async dropIpv6(): Promise<void> {
    const r = await httpFetch(`http://127.0.0.1:${this.dnsManagementPort}/set-default-ipv6`, {
      method: "POST",
      body: JSON.stringify({ ip: "" }),
    });
    if (r.status !== 200) throw new Error(`set-default-ipv6 answered ${r.status}`);
  }

  get log(): string {
    return this.pebble?.lines.join("\n") ?? "";
  }

  async stop(): Promise<void> {
    await this.pebble?.stop();
    this.pebble = null;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.dns?.stop();
    this.dns = null;
    if (this.dir) await Deno.remove(this.dir, { recursive: true });
  }

  private async setup(): Promise<void> {
    this.dir = await Deno.makeTempDir({ prefix: "pebble-test-" });
    const keys = await generateKeys("ecdsa-p256");
    const now = new Date();
    const cert = await issue({
      subject: "CN=pebble listener",
      keys,
      type: "ecdsa-p256",
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: addDays(now, 2),
      dns: ["localhost"],
      ips: ["127.0.0.1"],
      eku: ["1.3.6.1.5.5.7.3.1"],
    });
    this.listenerCa = `${this.dir}/listener.pem`;
    await Deno.writeTextFile(this.listenerCa, certPem(cert));
    await Deno.writeTextFile(`${this.dir}/listener-key.pem`, await exportPkcs8Pem(keys.privateKey));
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${this.port}`,
        managementListenAddress: `127.0.0.1:${this.managementPort}`,
        certificate: this.listenerCa,
        privateKey: `${this.dir}/listener-key.pem`,
        httpPort: freePort(),
        tlsPort: this.options.tlsPort,
        ocspResponderURL: this.options.ocspResponderUrl ?? "",
        externalAccountBindingRequired: false,
        certificateValidityPeriod: this.options.validity ?? 3600,
      },
    };
    await Deno.writeTextFile(`${this.dir}/pebble.json`, JSON.stringify(config));
  }
}

/** Starts Pebble (and its DNS) for a server that will listen on `tlsPort`. */
export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const p = new Pebble(options);
  try {
    await p.start();
  } catch (e) {
    await p.close();
    throw e;
  }
  return p;
}
