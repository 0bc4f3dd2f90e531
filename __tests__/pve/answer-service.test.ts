/**
 * The Pi's answer service (ansible/roles/pve_answer_service/files/pve-answer-service.py), run with
 * python3 on loopback with the default lab's generated answers and a throwaway certificate: the
 * right answer for a known MAC, refusals for unknown and already-installed machines, the webhook
 * recorded, the on-all-installed command run exactly once, TLS with the pinned certificate.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderAnswer, serviceConfig } from "../../pve/answers";
import { loadLab } from "../helpers";
import { TEST_HASH } from "./support";

const SCRIPT = join(__dirname, "..", "..", "ansible", "roles", "pve_answer_service", "files", "pve-answer-service.py");

let work: string;
let service: ChildProcess;
let port: number;
let fingerprint: string;
let log = "";
const lab = loadLab();

interface Reply {
  status: number;
  body: string;
  peerFingerprint: string;
}

function post(path: string, payload: unknown): Promise<Reply> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      // The installer pins the certificate by fingerprint; so does this client (below).
      { host: "127.0.0.1", port, path, method: "POST", rejectUnauthorized: false, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        const peer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, peerFingerprint: peer.fingerprint256 }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What the installer POSTs to the answer URL (proxmox-fetch-answer's system information). */
const sysinfo = (...macs: string[]) => ({
  product: { fullname: "Proxmox VE", product: "pve", enable_btrfs: true },
  iso: { release: "9.1", isorelease: "1" },
  dmi: { system: { name: "HP EliteDesk", serial: "CZC0000000" }, baseboard: {}, chassis: {} },
  network_interfaces: macs.map((mac, i) => ({ link: `enp${i + 1}s0`, mac })),
});

/** What the installer POSTs to the webhook once installed (proxmox-post-hook). */
const installed = (fqdn: string, mac: string) => ({
  $schema: { version: "1.0" },
  fqdn,
  "network-interfaces": [{ mac, "is-management": true, address: "192.168.1.11/24", "udev-properties": {} }],
  "ssh-public-host-keys": { ed25519: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTests root@pve" },
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "homelab-answer-service-"));
  const answers = join(work, "answers");
  mkdirSync(answers);
  const made = spawnSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=answer service test", "-keyout", join(work, "key.pem"), "-out", join(work, "cert.pem"),
  ]);
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  fingerprint = new X509Certificate(readFileSync(join(work, "cert.pem"))).fingerprint256;
  const svc = { baseUrl: "https://127.0.0.1:1", fingerprint };
  lab.proxmox.nodes.forEach((node, i) =>
    writeFileSync(join(answers, `${node.name}.toml`), renderAnswer({ lab, nodeIndex: i, rootPasswordHash: TEST_HASH, delivery: "http", service: svc })),
  );
  writeFileSync(join(work, "service.json"), JSON.stringify(serviceConfig(lab, svc)));
  // A stand-in for the pve-cluster.yml run: appends a line each time it runs.
  const onAll = `sh -c 'echo ran >> ${join(work, "all-installed.log")}'`;
  service = spawn("python3", [
    SCRIPT, "--config", join(work, "service.json"), "--answers", answers, "--state", join(work, "state"),
    "--cert", join(work, "cert.pem"), "--key", join(work, "key.pem"), "--listen", "127.0.0.1", "--port", "0",
    "--on-all-installed", onAll,
  ]);
  service.stderr!.on("data", (chunk) => (log += chunk));
  port = await new Promise<number>((resolve, reject) => {
    let out = "";
    service.stdout!.on("data", (chunk) => {
      out += chunk;
      const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    service.on("exit", (code) => reject(new Error(`the service exited ${code}:\n${log}`)));
  });
}, 20_000);

afterAll(() => {
  service?.kill();
  rmSync(work, { recursive: true, force: true });
});

const node0 = () => lab.proxmox.nodes[0];

/** The service logs to stderr, which reaches the test a moment after the reply. */
async function expectLogged(pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pattern.test(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(log).toMatch(pattern);
}

test("serves TLS with the certificate whose fingerprint goes into prepare-iso", async () => {
  const reply = await post("/answer", sysinfo("aa:bb:cc:00:00:01", node0().install!.mac));
  expect(reply.peerFingerprint).toBe(fingerprint);
});

test("returns the node's own answer for a machine that has its MAC among other NICs", async () => {
  const reply = await post("/answer", sysinfo("aa:bb:cc:00:00:01", node0().install!.mac.toUpperCase()));
  expect(reply.status).toBe(200);
  expect(reply.body).toBe(readFileSync(join(work, "answers", "pve-01.toml"), "utf8"));
  expect(reply.body).toContain('fqdn = "pve-01.home.arpa"');
  await expectLogged(/served the answer of pve-01/);
});

test("refuses a machine none of whose MACs is a node", async () => {
  const reply = await post("/answer", sysinfo("aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"));
  expect(reply.status).toBe(404);
  expect(reply.body).not.toContain("root-password-hashed");
  await expectLogged(/refused an answer to 127\.0\.0\.1: unknown machine \(MACs: aa:bb:cc:00:00:01, aa:bb:cc:00:00:02\)/);
});

test("refuses a body that is not JSON, and other paths", async () => {
  expect((await post("/answer", "not json")).status).toBe(404);
  const raw = await new Promise<number>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/answer", method: "POST", rejectUnauthorized: false, headers: { "Content-Length": 3 } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end("{x}");
  });
  expect(raw).toBe(400);
  expect((await post("/other", {})).status).toBe(404);
});

test("records each node's install report, then refuses to serve that node again", async () => {
  const [a, b, c] = lab.proxmox.nodes;
  expect((await post("/installed", installed("pve-99.home.arpa", a.install!.mac))).status).toBe(409); // FQDN of another machine
  expect((await post("/installed", installed("pve-01.home.arpa", "aa:bb:cc:00:00:09"))).status).toBe(404); // unknown MAC
  expect((await post("/installed", installed("pve-01.home.arpa", a.install!.mac))).status).toBe(200);
  const record = JSON.parse(readFileSync(join(work, "state", "installed", "pve-01.json"), "utf8"));
  expect(record).toMatchObject({ node: "pve-01", fqdn: "pve-01.home.arpa", mac: a.install!.mac.toLowerCase() });
  await expectLogged(/pve-01 installed \(1 of 3 reported: pve-01\)/);
  // A stick left in pve-01 that boots again must not reinstall it.
  const again = await post("/answer", sysinfo(a.install!.mac));
  expect(again.status).toBe(409);
  expect(again.body).toMatch(/already installed/);

  expect(existsSync(join(work, "all-installed.log"))).toBe(false);
  expect((await post("/installed", installed("pve-02.home.arpa", b.install!.mac))).status).toBe(200);
  expect((await post("/installed", installed("pve-03.home.arpa", c.install!.mac))).status).toBe(200);
  expect((await post("/installed", installed("pve-03.home.arpa", c.install!.mac))).status).toBe(200); // a repeated report
  const deadline = Date.now() + 5000;
  while (!existsSync(join(work, "all-installed.log")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  expect(readFileSync(join(work, "all-installed.log"), "utf8")).toBe("ran\n");
  expect(readdirSync(join(work, "state", "installed")).sort()).toEqual(["pve-01.json", "pve-02.json", "pve-03.json"]);
  await expectLogged(/every node reported its install/);
});

test("refuses to start when an answer file is missing", () => {
  const empty = join(work, "empty");
  mkdirSync(empty, { recursive: true });
  const run = spawnSync("python3", [
    SCRIPT, "--config", join(work, "service.json"), "--answers", empty, "--state", join(work, "state2"),
    "--cert", join(work, "cert.pem"), "--key", join(work, "key.pem"), "--listen", "127.0.0.1", "--port", "0",
  ], { encoding: "utf8", timeout: 10_000 });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/cannot start: answer file .*pve-01\.toml of pve-01 is missing/);
});
