/**
 * RFC 8448 traces (tests/vectors/rfc8448.json, extracted from the RFC text) and a crypto provider that
 * replays the trace's randoms and ephemeral keys, so an engine run reproduces the trace byte for byte.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { CryptoProvider, GroupName, KeyShare } from "../../src/crypto/provider.ts";

interface Step {
  actor: "client" | "server";
  what: string;
  fields: Record<string, string>;
}

const data = JSON.parse(await Deno.readTextFile(new URL("../vectors/rfc8448.json", import.meta.url)));

export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The `nth` step of `section` by `actor` whose description starts with `what`, and one of its fields. */
export function field(section: number, actor: string, what: string, name: string, nth = 0): Uint8Array {
  const steps: Step[] = data.sections[String(section)].steps;
  const found = steps.filter((s) => s.actor === actor && s.what.startsWith(what));
  const step = found[nth];
  if (!step || !(name in step.fields)) throw new Error(`no ${actor} "${what}" [${nth}] ${name} in section ${section}`);
  return hexToBytes(step.fields[name]);
}

/** A KeyShare with a fixed private key, as the trace generated it. */
export function fixedKeyShare(group: GroupName, priv: Uint8Array): KeyShare {
  if (group === "x25519") {
    return {
      group,
      publicKey: x25519.getPublicKey(priv),
      agree: (peer) => x25519.getSharedSecret(priv, peer),
    };
  }
  if (group === "secp256r1") {
    return {
      group,
      publicKey: p256.getPublicKey(priv, false),
      agree: (peer) => p256.getSharedSecret(priv, peer, true).subarray(1),
    };
  }
  throw new Error(`no fixed share for ${group}`);
}

/** nobleProvider, except that randomBytes(n) and key generation replay the given values (matched by length, in order). */
export function replayProvider(randoms: Uint8Array[], shares: KeyShare[]): CryptoProvider {
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
    keyExchange(group: GroupName) {
      const real = nobleProvider.keyExchange(group);
      return {
        group,
        generate: () => {
          const next = ks.findIndex((k) => k.group === group);
          return next >= 0 ? ks.splice(next, 1)[0] : real.generate();
        },
      };
    },
  };
}

/** Parses key log lines into a label → secret map. */
export function keyLogMap(lines: string[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const l of lines) {
    const [label, , secret] = l.split(" ");
    out.set(label, hexToBytes(secret));
  }
  return out;
}
