/**
 * The NSS key log format (SSLKEYLOGFILE) that Wireshark reads: `<LABEL> <client_random hex> <secret hex>`.
 * Only ever called when the application configured a key log: secrets never reach any other log.
 */
import { toHex } from "../bytes.ts";

export function keyLogLine(label: string, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${toHex(clientRandom)} ${toHex(secret)}`;
}

/** Logs one secret under its NSS label; a no-op unless the application configured a key log. */
export type KeyLogger = (label: string, secret: Uint8Array) => void;

const noLog: KeyLogger = () => {};

/** The logger of one connection, keyed by its ClientHello.random. */
export function keyLogger(sink: ((line: string) => void) | undefined, clientRandom: Uint8Array): KeyLogger {
  return sink ? (label, secret) => sink(keyLogLine(label, clientRandom, secret)) : noLog;
}
