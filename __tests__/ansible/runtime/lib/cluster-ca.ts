/**
 * Throwaway cluster CAs for the runtime converge, made as the k3s stack's K3sClusterCa makes them
 * (ECDSA P-256 self-signed CAs, an RSA service-account key), by openssl: site.yml gets them as
 * K3S_CA_FILES, as `cdktf deploy k3s` hands over the stack's own. A test fixture, never a default.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./sh";

/** The CA certificates K3s reads from server/tls at the first start (with their keys). */
const CAS = ["server-ca", "client-ca", "request-header-ca", "etcd/peer-ca", "etcd/server-ca"] as const;

/** File name (relative to server/tls) → PEM, the JSON object K3S_CA_FILES carries. */
export function throwawayClusterCa(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "homelab-runtime-ca-"));
  try {
    const files: Record<string, string> = {};
    for (const ca of CAS) {
      const base = join(dir, ca.replace("/", "-"));
      run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${base}.key`]);
      run([
        "openssl", "req", "-x509", "-new", "-key", `${base}.key`, "-sha256", "-days", "30", "-out", `${base}.crt`,
        "-subj", `/CN=homelab-runtime-${ca.replace("/", "-")}`,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
      ]);
      files[`${ca}.crt`] = readFileSync(`${base}.crt`, "utf8");
      files[`${ca}.key`] = readFileSync(`${base}.key`, "utf8");
    }
    run(["openssl", "genrsa", "-out", join(dir, "service.key"), "2048"]);
    files["service.key"] = readFileSync(join(dir, "service.key"), "utf8");
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
