/**
 * Claims about what `tls13-hono certs` makes (certs/hosts.ts, cli/certs_command.ts): a server certificate for the
 * hosts asked for, which OpenSSL verifies for each of them against the CA; re-running keeps everything, other hosts
 * replace only the server certificate; every development leaf certificate, backdating included, lasts at most 825
 * days (Apple's limit, issue 13); `--install` trusts the CA in the Chromium and Firefox NSS databases it finds.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { ensureHostCerts, normalizeHosts } from "../../certs/hosts.ts";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import { decodePem } from "../../src/tls/pki/pem.ts";
import { needs } from "../_support/peers.ts";

const root = await Deno.makeTempDir({ prefix: "certs-hosts-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const cli = new URL("../../cli/main.ts", import.meta.url).pathname;
const config = new URL("../../deno.json", import.meta.url).pathname;
const DAY = 86400_000;

async function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = root) {
  const r = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

const certificate = (path: string) => parseCertificate(decodePem(Deno.readTextFileSync(path))[0].der);

Deno.test(
  "the server certificate names the hosts given, and OpenSSL verifies it for each",
  needs("openssl"),
  async () => {
    const certs = await ensureHostCerts(`${root}/hosts`, { hosts: ["App.Test", "*.app.test", "10.1.2.3", "[::1]"] });
    assert.deepEqual(certs.hosts, ["app.test", "*.app.test", "10.1.2.3", "::1"]);
    const sans = certificate(certs.server.cert).subjectAltNames!;
    assert.deepEqual(sans.dns, ["app.test", "*.app.test"]);
    assert.equal(sans.ip.length, 2);
    const verify = (flag: string, value: string) =>
      run("openssl", ["verify", "-CAfile", certs.ca.cert, "-purpose", "sslserver", flag, value, certs.server.cert]);
    for (const [flag, value] of [["-verify_hostname", "app.test"], ["-verify_hostname", "www.app.test"]]) {
      const r = await verify(flag, value);
      assert.equal(r.code, 0, r.out);
    }
    for (const ip of ["10.1.2.3", "::1"]) assert.equal((await verify("-verify_ip", ip)).code, 0, ip);
    assert.notEqual((await verify("-verify_hostname", "other.test")).code, 0, "a name it does not hold fails");
    const client = await run("openssl", [
      "verify",
      "-CAfile",
      certs.ca.cert,
      "-purpose",
      "sslclient",
      certs.client.cert,
    ]);
    assert.equal(client.code, 0, client.out);
    assert.equal(Deno.readTextFileSync(`${certs.dir}/.gitignore`), "*\n", "the directory keeps itself out of git");
  },
);

Deno.test("re-running keeps everything; other hosts replace only the server certificate", async () => {
  const dir = `${root}/rerun`;
  const first = await ensureHostCerts(dir);
  assert.deepEqual(first.hosts, ["localhost", "127.0.0.1", "::1"]);
  const again = await ensureHostCerts(dir, { hosts: ["::1", "localhost", "127.0.0.1"] });
  assert.deepEqual(again.created, [], "the same hosts in another order change nothing");
  const ca = Deno.readTextFileSync(first.ca.cert);
  const other = await ensureHostCerts(dir, { hosts: ["api.test"] });
  assert.deepEqual([...other.created].sort(), ["server-key.pem", "server.pem"]);
  assert.equal(Deno.readTextFileSync(first.ca.cert), ca, "the CA is kept");
  assert.deepEqual(certificate(other.server.cert).subjectAltNames?.dns, ["api.test"]);
});

Deno.test("hosts that cannot go into a certificate are refused", () => {
  for (
    const bad of [["exa mple.test"], ["a..b"], ["-a.test"], ["http://x.test"], [""], ["1.2.3.4:443"], ["300.1.2.3"], [
      "1::2::3",
    ]]
  ) {
    assert.throws(() => normalizeHosts(bad), TypeError, JSON.stringify(bad));
  }
});

Deno.test("every development leaf certificate lasts at most 825 days, backdating included", async () => {
  const dev = await ensureDevCerts(`${root}/dev`);
  const host = await ensureHostCerts(`${root}/dev-hosts`);
  const manifest = JSON.parse(Deno.readTextFileSync(dev.manifest)).files as Record<string, { type: string }>;
  const files = Object.entries(manifest).filter(([, info]) => info.type === "certificate" || info.type === "chain")
    .map(([file]) => `${dev.dir}/${file}`);
  const leaves = [...files, host.server.cert, host.client.cert].map(certificate);
  assert.ok(leaves.length > 20);
  for (const leaf of leaves) {
    if (leaf.basicConstraints?.ca) continue;
    // RFC 5280 §4.1.2.5: the validity period includes both notBefore and notAfter.
    const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime() + 1000) / DAY;
    assert.ok(days <= 825, `${leaf.subject.text}: ${days} days`);
  }
  const server = certificate(host.server.cert);
  assert.ok(server.notBefore.getTime() < Date.now(), "backdated, for clients whose clock is a little behind");
  assert.ok(server.notAfter.getTime() - Date.now() > 820 * DAY, "and still close to the longest allowed");
});

Deno.test("certs --install trusts the CA in the Chromium and Firefox NSS databases", needs("certutil"), async () => {
  const home = `${root}/home`;
  const chromium = `${home}/.pki/nssdb`;
  const firefox = `${home}/.mozilla/firefox/x1y2.default-release`;
  for (const db of [chromium, firefox]) {
    Deno.mkdirSync(db, { recursive: true });
    assert.equal((await run("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"])).code, 0);
  }
  const env = { HOME: home, PATH: Deno.env.get("PATH") ?? "" };
  const r = await run(Deno.execPath(), ["run", "-A", "--config", config, cli, "certs", "--install"], env);
  assert.equal(r.code, 0, r.out);
  const nickname = certificate(`${root}/certs/ca.pem`).subject.commonName!;
  for (const db of [chromium, firefox]) {
    const list = await run("certutil", ["-L", "-d", `sql:${db}`]);
    assert.match(list.out, new RegExp(`${nickname}\\s+C,,`), db);
  }
  assert.match(r.out, /Chromium: trusted/);
  assert.match(r.out, /Firefox: trusted/);
  assert.match(r.out, /update-ca-certificates/, "and says how to trust it system-wide");
});

Deno.test("certs without certutil says how to get it; a bad command line exits 1 with the usage", async () => {
  const env = { HOME: `${root}/nohome`, PATH: "/nonexistent" };
  const r = await run(Deno.execPath(), ["run", "-A", "--config", config, cli, "certs", "--dir", "x", "--install"], env);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /certutil not found: install it/);
  const bad = await run(Deno.execPath(), ["run", "-A", "--config", config, cli, "certs", "--hosts", "a b"]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /not a host name or IP address[\s\S]*usage: tls13-hono certs/);
  const unknown = await run(Deno.execPath(), ["run", "-A", "--config", config, cli, "frobnicate"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.out, /unknown command frobnicate/);
});
