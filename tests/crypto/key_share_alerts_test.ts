/**
 * Claims about what the engine does with a bad key share, end to end in memory: a server given a malformed client
 * share for any group answers illegal_parameter at once (RFC 8446 §4.2.8.2, §7.4; RFC 7919; draft-ietf-tls-ecdhe-mlkem
 * §4) and sends no ServerHello; a client given a malformed server share does the same. The shares come from a
 * provider that swaps its real share for a bad one, so the hello around it is the real codec's.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { CryptoProvider, GroupName, KeyExchange } from "../../src/crypto/provider.ts";
import { badClientShares } from "../_support/bad_shares.ts";
import { devPair, records } from "../_support/memory_pair.ts";

/** nobleProvider, except that `group`'s client share is `share`. */
function sendingClientShare(group: GroupName, share: Uint8Array): CryptoProvider {
  return {
    ...nobleProvider,
    keyExchange(g) {
      const real = nobleProvider.keyExchange(g);
      if (g !== group) return real;
      return { ...real, generate: () => ({ ...real.generate(), publicKey: share }) };
    },
  };
}

/** nobleProvider, except that the server's answer for `group` is changed by `edit`. */
function sendingServerShare(group: GroupName, edit: (share: Uint8Array) => Uint8Array): CryptoProvider {
  return {
    ...nobleProvider,
    keyExchange(g): KeyExchange {
      const real = nobleProvider.keyExchange(g);
      if (g !== group) return real;
      return {
        ...real,
        encapsulate: async (share) => {
          const answer = await real.encapsulate(share);
          return { ...answer, keyExchange: edit(answer.keyExchange) };
        },
      };
    },
  };
}

const groups: GroupName[] = [
  "x25519",
  "secp256r1",
  "secp384r1",
  "secp521r1",
  "x448",
  "ffdhe2048",
  "ffdhe3072",
  "ffdhe4096",
  "X25519MLKEM768",
  "SecP256r1MLKEM768",
  "SecP384r1MLKEM1024",
];

for (const group of groups) {
  Deno.test(`${group}: the server answers every malformed client share with illegal_parameter (empty: decode_error), before a ServerHello`, async () => {
    const cases = Object.entries(badClientShares(group));
    assert.ok(cases.length >= 3);
    for (const [what, share] of cases) {
      const pair = await devPair({
        provider: sendingClientShare(group, share),
        keyShareGroups: [group],
        groups: [group],
      }, {
        groups: [group],
      });
      await pair.pump();
      // RFC 8446 §4.2.8: key_exchange<1..2^16-1>, so an empty one does not even decode.
      const alert = what === "empty" ? "decode_error" : "illegal_parameter";
      assert.equal(pair.failure("server")?.alertName, alert, `${group}: ${what}`);
      assert.equal(pair.failure("server")?.source, "local");
      assert.equal(pair.failure("client")?.alertName, alert, `${group}: ${what}, client side`);
      assert.equal(pair.failure("client")?.source, "remote");
      // One plaintext alert record and nothing else: no ServerHello went out.
      const answer = records(pair.flights("server")[0]);
      assert.deepEqual(answer.map((r) => r.type), [21], `${group}: ${what}`);
    }
  });
}

/** Server shares the client must refuse, by group: a truncated one for all; the all-zero / low-order ECDH part. */
const badServerShares: Record<string, (s: Uint8Array) => Uint8Array> = {
  "one byte short": (s) => s.subarray(1),
  "one byte long": (s) => Uint8Array.from([...s, 0]),
  "all zeros": (s) => new Uint8Array(s.length),
};

for (const group of groups) {
  Deno.test(`${group}: the client answers a malformed server share with illegal_parameter`, async () => {
    for (const [what, edit] of Object.entries(badServerShares)) {
      const pair = await devPair({ keyShareGroups: [group], groups: [group] }, {
        groups: [group],
        provider: sendingServerShare(group, edit),
      });
      await pair.pump();
      assert.equal(pair.failure("client")?.alertName, "illegal_parameter", `${group}: ${what}`);
      assert.equal(pair.failure("client")?.source, "local");
      assert.equal(pair.failure("server")?.alertName, "illegal_parameter", `${group}: ${what}, server side`);
    }
  });
}
