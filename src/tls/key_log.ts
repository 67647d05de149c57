/**
 * The NSS key log format (SSLKEYLOGFILE) that Wireshark reads: `<LABEL> <client_random hex> <secret hex>`.
 * Only ever called when the application configured a key log: secrets never reach any other log.
 */
export function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function keyLogLine(label: string, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${hex(clientRandom)} ${hex(secret)}`;
}
