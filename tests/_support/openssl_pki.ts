/**
 * Chains made by OpenSSL itself (a CA and a localhost leaf of one key type), for the key types our development CA
 * does not issue: ECDSA P-521, Ed448 and RSA-PSS (id-RSASSA-PSS keys restricted to SHA-256, as
 * `openssl req -newkey rsa-pss -pkeyopt rsa_pss_keygen_md:sha256` makes them). Needs the `openssl` peer.
 */
import { run } from "./processes.ts";

export type OpensslKeyType = "p521" | "ed448" | "rsa-pss";

const newKey: Record<OpensslKeyType, string[]> = {
  p521: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
  ed448: ["-newkey", "ed448"],
  "rsa-pss": [
    "-newkey",
    "rsa-pss",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-pkeyopt",
    "rsa_pss_keygen_md:sha256",
    "-pkeyopt",
    "rsa_pss_keygen_mgf1_md:sha256",
    "-pkeyopt",
    "rsa_pss_keygen_saltlen:32",
  ],
};

export interface OpensslChain {
  caCert: string;
  leafCert: string;
  leafKey: string;
}

async function openssl(args: string[]): Promise<void> {
  const r = await run(["openssl", ...args], [], 60_000);
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}:\n${r.output}`);
}

/**
 * Makes `dir`/ca-<type>.pem and a leaf for localhost signed by it, with the leaf's key: a server certificate
 * (serverAuth), or with `usage: "clientAuth"` a client certificate (under other file names, so both can exist).
 */
export async function opensslChain(
  dir: string,
  type: OpensslKeyType,
  usage: "serverAuth" | "clientAuth" = "serverAuth",
): Promise<OpensslChain> {
  const p = (name: string) => `${dir}/${name}-${type}${usage === "clientAuth" ? "-client" : ""}`;
  const days = ["-days", "30"];
  await openssl([
    "req",
    "-x509",
    ...newKey[type],
    "-keyout",
    p("ca") + ".key",
    "-out",
    p("ca") + ".pem",
    "-nodes",
    "-subj",
    `/CN=OpenSSL ${type} CA`,
    ...days,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  await openssl([
    "req",
    ...newKey[type],
    "-keyout",
    p("leaf") + ".key",
    "-out",
    p("leaf") + ".csr",
    "-nodes",
    "-subj",
    "/CN=localhost",
  ]);
  const ext = p("ext") + ".cnf";
  await Deno.writeTextFile(
    ext,
    `subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=${usage}\nkeyUsage=critical,digitalSignature\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    p("leaf") + ".csr",
    "-CA",
    p("ca") + ".pem",
    "-CAkey",
    p("ca") + ".key",
    "-CAcreateserial",
    "-out",
    p("leaf") + ".pem",
    ...days,
    "-extfile",
    ext,
  ]);
  return { caCert: p("ca") + ".pem", leafCert: p("leaf") + ".pem", leafKey: p("leaf") + ".key" };
}
