/**
 * Claims about the server's default group choice (issue 13): the hybrid post-quantum group wins whenever the client
 * sent a share for it; otherwise the cheapest group on this provider and runtime among those the client sent shares
 * for (CryptoProvider.preferredGroups), never one it would need a HelloRetryRequest for; a HelloRetryRequest only
 * when no share is usable, and then for the cheapest group the client supports.
 */
import assert from "node:assert/strict";
import { nativeProvider, nobleProvider } from "../../src/crypto/mod.ts";
import type { CryptoProvider, GroupName } from "../../src/crypto/provider.ts";
import { defaultGroups } from "../../src/tls/server/server_config.ts";
import { devPair } from "../_support/memory_pair.ts";

const providers: CryptoProvider[] = [nobleProvider, nativeProvider()];

async function negotiate(provider: CryptoProvider, keyShareGroups: GroupName[], groups: GroupName[]) {
  const pair = await devPair({ keyShareGroups, groups }, { provider });
  await pair.handshake();
  return { group: pair.server.info!.group, retried: pair.client.helloRetried };
}

Deno.test("defaults: hybrid groups first, then the provider's cheapest-first order, then every other group", () => {
  for (const p of providers) {
    const order = defaultGroups(p);
    assert.deepEqual(order.slice(0, 3), ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"]);
    assert.deepEqual(order.slice(3, 3 + p.preferredGroups!.length), p.preferredGroups, p.name);
    assert.equal(new Set(order).size, 11, "every group once");
  }
  assert.equal(defaultGroups({}).length, 11);
});

Deno.test("the hybrid group wins when the client sent its share, whatever else it sent", async () => {
  for (const p of providers) {
    const r = await negotiate(p, ["x25519", "secp256r1", "X25519MLKEM768"], ["x25519", "secp256r1", "X25519MLKEM768"]);
    assert.deepEqual(r, { group: "X25519MLKEM768", retried: false }, p.name);
  }
});

Deno.test("without a hybrid share: the provider's cheapest group among the shares sent, in any client order", async () => {
  for (const p of providers) {
    const sent: GroupName[] = ["secp384r1", "secp256r1", "x25519"];
    const cheapest = p.preferredGroups!.find((g) => sent.includes(g))!;
    assert.deepEqual(await negotiate(p, sent, sent), { group: cheapest, retried: false }, p.name);
  }
});

Deno.test("a share for a dearer group is used rather than asking for a cheaper one (no HelloRetryRequest)", async () => {
  for (const p of providers) {
    for (const only of ["secp384r1", "secp521r1", "x448", "ffdhe2048"] as GroupName[]) {
      const r = await negotiate(p, [only], ["x25519", "secp256r1", only]);
      assert.deepEqual(r, { group: only, retried: false }, `${p.name} ${only}`);
    }
  }
});

Deno.test("a HelloRetryRequest only when no share is usable, for the preferred group the client supports", async () => {
  for (const p of providers) {
    const pair = await devPair({ keyShareGroups: ["x25519"], groups: ["x25519", "secp256r1", "secp384r1"] }, {
      provider: p,
      groups: defaultGroups(p).filter((g) => g !== "x25519"),
    });
    await pair.handshake();
    assert.equal(pair.client.helloRetried, true);
    const expected = defaultGroups(p).find((g) => g === "secp256r1" || g === "secp384r1");
    assert.equal(pair.server.info!.group, expected, p.name);
  }
});
