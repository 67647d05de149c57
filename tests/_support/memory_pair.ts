/**
 * Two sans-IO engines talking in memory (no sockets): a pump that moves bytes until both are quiet, with a
 * tap to split, rewrite or drop what crosses, and the record tools tests use to look at the wire.
 * Also: ready-made client and server configs over the development certificates (certs/generate.ts).
 *
 *   const pair = new MemoryPair(client, server);
 *   await pair.handshake();           // throws the first alert if either side failed
 *   pair.client.send(bytes); await pair.pump();
 *   pair.data("server")               // everything the server received
 */
import { concat, fromHex } from "../../src/bytes.ts";
import type { TlsAlert } from "../../src/tls/alert.ts";
import type { TlsConnection } from "../../src/tls/connection.ts";
import type { TlsEvent } from "../../src/tls/events.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { AeadName, CryptoProvider, HashName } from "../../src/crypto/provider.ts";
import { ClientConnection, type ClientConnectionOptions } from "../../src/tls/client/client_connection.ts";
import { clientConfig, type ClientConfigOptions } from "../../src/tls/client/client_config.ts";
import { trafficKeys } from "../../src/tls/key_schedule.ts";
import type { CertifiedKey } from "../../src/tls/pki/certified_key.ts";
import type { TrustStore } from "../../src/tls/pki/trust_store.ts";
import { RecordDecrypter, RecordEncrypter } from "../../src/tls/record/protection.ts";
import { ServerConnection } from "../../src/tls/server/server_connection.ts";
import { serverConfig, type ServerConfigOptions } from "../../src/tls/server/server_config.ts";
import { ContentType } from "../../src/tls/wire/constants.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import { loadCertifiedKey, loadTrustStore } from "../../src/io/pki_files.ts";

export type Side = "client" | "server";

/** Bytes one side handed over in one `takeOutput()`, as they left it (before the tap). */
export interface Flight {
  from: Side;
  bytes: Uint8Array;
}

/**
 * Sees each flight before delivery and returns what to deliver instead (the same bytes, others, or null to
 * drop them). `n` counts the flights of that side, from 0.
 */
export type Tap = (from: Side, bytes: Uint8Array, n: number) => Uint8Array | null;

export interface PairOptions {
  /** Deliver at most this many bytes per `receive()` call, as a stream socket may. */
  chunk?: number;
  tap?: Tap;
}

export class MemoryPair<C extends TlsConnection = ClientConnection, S extends TlsConnection = ServerConnection> {
  readonly events: Record<Side, TlsEvent[]> = { client: [], server: [] };
  /** Every flight, in order, as sent. */
  readonly wire: Flight[] = [];
  private readonly counts: Record<Side, number> = { client: 0, server: 0 };

  constructor(readonly client: C, readonly server: S, private readonly options: PairOptions = {}) {}

  /** Moves bytes both ways until neither side has anything to send. */
  async pump(maxRounds = 10_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const moved = (await this.move("client")) + (await this.move("server"));
      if (moved === 0) return;
    }
    throw new Error("pump: the engines are still talking after too many rounds");
  }

  /** Pumps until quiet and checks that both sides completed the handshake; otherwise throws the first alert. */
  async handshake(): Promise<void> {
    await this.pump();
    const failure = this.failure("client") ?? this.failure("server");
    if (failure) throw failure;
    if (!this.client.isHandshakeComplete || !this.server.isHandshakeComplete) {
      throw new Error("the handshake stalled: both sides are quiet and it is not complete");
    }
  }

  /** The alert that ended `side`, if any. */
  failure(side: Side): TlsAlert | null {
    const e = this.events[side].find((x) => x.type === "failed");
    return e && e.type === "failed" ? e.alert : null;
  }

  /** All application data `side` has received so far, concatenated. */
  data(side: Side): Uint8Array {
    return concat(this.events[side].flatMap((e) => (e.type === "data" ? [e.data] : [])));
  }

  /** The events of `side` of one type. */
  ofType<T extends TlsEvent["type"]>(side: Side, type: T): Extract<TlsEvent, { type: T }>[] {
    return this.events[side].filter((e) => e.type === type) as Extract<TlsEvent, { type: T }>[];
  }

  /** Flights sent by `side`. */
  flights(side: Side): Uint8Array[] {
    return this.wire.filter((f) => f.from === side).map((f) => f.bytes);
  }

  private async move(from: Side): Promise<number> {
    const sender = from === "client" ? this.client : this.server;
    const receiver = from === "client" ? this.server : this.client;
    const to: Side = from === "client" ? "server" : "client";
    const out = sender.takeOutput();
    if (out.length === 0) return 0;
    this.wire.push({ from, bytes: out });
    const delivered = this.options.tap ? this.options.tap(from, out, this.counts[from]++) : out;
    if (!delivered || delivered.length === 0) return out.length;
    const step = this.options.chunk ?? delivered.length;
    for (let o = 0; o < delivered.length; o += step) {
      this.events[to].push(...await receiver.receive(delivered.slice(o, o + step)));
    }
    return out.length;
  }
}

// ----- records on the wire -----

export interface WireRecord {
  type: number;
  /** The version bytes of the header. */
  version: number;
  fragment: Uint8Array;
}

/** Splits bytes into whole records (throws on a partial one). */
export function records(bytes: Uint8Array): WireRecord[] {
  const out: WireRecord[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < 5) throw new Error("partial record header");
    const length = (bytes[o + 3] << 8) | bytes[o + 4];
    if (bytes.length - o - 5 < length) throw new Error("partial record");
    out.push({
      type: bytes[o],
      version: (bytes[o + 1] << 8) | bytes[o + 2],
      fragment: bytes.slice(o + 5, o + 5 + length),
    });
    o += 5 + length;
  }
  return out;
}

export function encodeRecords(list: readonly WireRecord[]): Uint8Array {
  return concat(list.map((r) => {
    const out = new Uint8Array(5 + r.fragment.length);
    out.set([r.type, r.version >> 8, r.version & 0xff, r.fragment.length >> 8, r.fragment.length & 0xff]);
    out.set(r.fragment, 5);
    return out;
  }));
}

/** Re-frames every plaintext handshake record of `bytes` into records of at most `size` bytes (RFC 8446 §5.1). */
export function splitPlaintextHandshake(bytes: Uint8Array, size: number): Uint8Array {
  const out: WireRecord[] = [];
  for (const r of records(bytes)) {
    if (r.type !== ContentType.handshake) {
      out.push(r);
      continue;
    }
    for (let o = 0; o < r.fragment.length; o += size) out.push({ ...r, fragment: r.fragment.slice(o, o + size) });
  }
  return encodeRecords(out);
}

/**
 * One direction's protected records, opened and resealed with keys taken from a key log: a man in the middle
 * who knows the secrets, to make a peer misbehave after the keys are set (tampered Finished, extra extensions).
 */
export class RecordRewriter {
  private readonly opener: RecordDecrypter;
  private readonly sealer: RecordEncrypter;

  constructor(provider: CryptoProvider, hash: HashName, aead: AeadName, secret: Uint8Array) {
    const a = provider.aead(aead);
    const { key, iv } = trafficKeys(provider.hash(hash), secret, a.keyLength);
    this.opener = new RecordDecrypter(a, key, iv);
    this.sealer = new RecordEncrypter(a, key, iv);
  }

  /** Opens one protected record; `edit` gets its content and returns the content to seal in its place. */
  rewrite(
    record: WireRecord,
    edit: (content: Uint8Array) => Uint8Array,
    type: number = ContentType.handshake,
  ): Uint8Array {
    return this.sealer.seal(type, edit(this.open(record)));
  }

  /** Opens one protected record and returns its content (advancing only the opening side). */
  open(record: WireRecord): Uint8Array {
    const header = Uint8Array.of(
      record.type,
      record.version >> 8,
      record.version & 0xff,
      record.fragment.length >> 8,
      record.fragment.length & 0xff,
    );
    const inner = this.opener.open(header, record.fragment);
    if (!inner) throw new Error("RecordRewriter: the record does not open under this secret");
    return inner.content;
  }

  /** Seals a record of our own making (the next sequence number of the sealing side). */
  seal(type: number, content: Uint8Array): Uint8Array {
    return this.sealer.seal(type, content);
  }
}

/**
 * A tap that flips the last byte of the client's Finished in its second flight (the client's ChangeCipherSpec
 * record stays, the Finished record is re-sealed): `log` is the client's key log, filled as the handshake runs.
 * The test sets suite and hash: SHA-256 and AES-128-GCM, what the dev pair negotiates.
 */
export function tamperClientFinished(log: readonly string[]): Tap {
  return (from, bytes, n) => {
    if (from !== "client" || n !== 1) return bytes;
    const rewriter = new RecordRewriter(
      nobleProvider,
      "SHA-256",
      "AES-128-GCM",
      secretsOf(log).get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!,
    );
    const list = records(bytes);
    return concat([
      encodeRecords(list.slice(0, 1)),
      rewriter.rewrite(list[1], (m) => m.map((b, i) => (i === m.length - 1 ? b ^ 1 : b))),
    ]);
  };
}

/** Secrets of a key log, by label. */
export function secretsOf(lines: readonly string[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const l of lines) {
    const [label, , secret] = l.split(" ");
    out.set(label, fromHex(secret));
  }
  return out;
}

export { concat } from "../../src/bytes.ts";

// ----- engines over the development certificates -----

export interface DevPki {
  /** The development CA, as a trust store. */
  anchors: TrustStore;
  /** localhost / 127.0.0.1 / ::1 with each key type. */
  ecdsa: CertifiedKey;
  ed25519: CertifiedKey;
  rsa: CertifiedKey;
  /** alt.localhost (ECDSA). */
  alt: CertifiedKey;
  /** Absolute paths of certs/out, for tests that start real servers. */
  paths: Awaited<ReturnType<typeof ensureDevCerts>>;
}

let pki: Promise<DevPki> | undefined;

/** Generates certs/out if needed (once per process) and loads it. */
export function devPki(provider: CryptoProvider = nobleProvider): Promise<DevPki> {
  pki ??= (async () => {
    const paths = await ensureDevCerts();
    const load = (p: { cert: string; key: string }) =>
      loadCertifiedKey({ cert: { path: p.cert }, key: { path: p.key } }, provider);
    return {
      anchors: await loadTrustStore({ path: paths.ca.cert }),
      ecdsa: await load(paths.server["ecdsa-p256"]),
      ed25519: await load(paths.server.ed25519),
      rsa: await load(paths.server.rsa),
      alt: await load(paths.alt),
      paths,
    };
  })();
  return pki;
}

/** A server on the dev certificates (ECDSA localhost first, then alt.localhost), with `overrides`. */
export async function devServer(overrides: Partial<ServerConfigOptions> = {}): Promise<ServerConnection> {
  const p = await devPki();
  return new ServerConnection(serverConfig({ provider: nobleProvider, certificates: [p.ecdsa, p.alt], ...overrides }));
}

/** A client for "localhost" trusting the dev CA, with `overrides` (and a session or early data in `options`). */
export async function devClient(
  overrides: Partial<ClientConfigOptions> = {},
  options: ClientConnectionOptions = {},
): Promise<ClientConnection> {
  const p = await devPki();
  return new ClientConnection(
    clientConfig({ provider: nobleProvider, serverName: "localhost", anchors: p.anchors, ...overrides }),
    options,
  );
}

/** A connected pair over the dev certificates; the handshake is not run yet. */
export async function devPair(
  client: Partial<ClientConfigOptions> = {},
  server: Partial<ServerConfigOptions> = {},
  options: PairOptions = {},
): Promise<MemoryPair> {
  return new MemoryPair(await devClient(client), await devServer(server), options);
}
