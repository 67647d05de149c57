/**
 * RFC 8448 traces (tests/vectors/rfc8448.json, extracted from the RFC text) and a crypto provider that
 * replays the trace's randoms and ephemeral keys, so an engine run reproduces the trace byte for byte.
 */
import { fromHex } from "../../src/bytes.ts";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";
import { dhExchange, type DhKeyPair } from "../../src/crypto/dh_exchange.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { nobleDh } from "../../src/crypto/noble_groups.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";

interface Step {
  actor: "client" | "server";
  what: string;
  fields: Record<string, string>;
}

const data = JSON.parse(await Deno.readTextFile(new URL("../vectors/rfc8448.json", import.meta.url)));

export { fromHex as hexToBytes, toHex } from "../../src/bytes.ts";

/** The `nth` step of `section` by `actor` whose description starts with `what`, and one of its fields. */
export function field(section: number, actor: string, what: string, name: string, nth = 0): Uint8Array {
  const steps: Step[] = data.sections[String(section)].steps;
  const found = steps.filter((s) => s.actor === actor && s.what.startsWith(what));
  const step = found[nth];
  if (!step || !(name in step.fields)) throw new Error(`no ${actor} "${what}" [${nth}] ${name} in section ${section}`);
  return fromHex(step.fields[name]);
}

type TraceGroup = "x25519" | "secp256r1";

/** A key pair with a fixed private key, as the trace generated it. */
export function fixedKeyShare(group: TraceGroup, priv: Uint8Array): DhKeyPair & { group: TraceGroup } {
  if (group === "x25519") {
    return {
      group,
      publicKey: x25519.getPublicKey(priv),
      agree: (peer: Uint8Array) => x25519.getSharedSecret(priv, peer),
    };
  }
  if (group === "secp256r1") {
    return {
      group,
      publicKey: p256.getPublicKey(priv, false),
      agree: (peer: Uint8Array) => p256.getSharedSecret(priv, peer, true).subarray(1),
    };
  }
  throw new Error(`no fixed share for ${group}`);
}

/**
 * nobleProvider, except that randomBytes(n) and key generation (the client's generate, the server's encapsulate)
 * replay the given values (matched by length and by group, in order).
 */
export function replayProvider(randoms: Uint8Array[], shares: (DhKeyPair & { group: TraceGroup })[]): CryptoProvider {
  const rnd = [...randoms];
  const ks = [...shares];
  return {
    ...nobleProvider,
    name: "rfc8448-replay",
    randomBytes(n: number) {
      const next = rnd.findIndex((r) => r.length === n);
      if (next >= 0) return rnd.splice(next, 1)[0];
      return nobleProvider.randomBytes(n);
    },
    keyExchange(group) {
      if (group !== "x25519" && group !== "secp256r1") return nobleProvider.keyExchange(group);
      return dhExchange(group, () => {
        const next = ks.findIndex((k) => k.group === group);
        return next >= 0 ? ks.splice(next, 1)[0] : nobleDh[group]();
      });
    },
  };
}

/** Parses key log lines into a label → secret map. */
export function keyLogMap(lines: string[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const l of lines) {
    const [label, , secret] = l.split(" ");
    out.set(label, fromHex(secret));
  }
  return out;
}
