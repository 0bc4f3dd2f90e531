/**
 * The answer generator (pve/answers.ts) and `npm run pve:answers`: from the default lab, one valid
 * answer per node and delivery whose values are the config's; planted mistakes in an answer are
 * caught; the root password hash comes only from the environment and lands only in the
 * git-ignored answers.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { stringify } from "yaml";
import { X509Certificate } from "node:crypto";
import { runPveAnswers, USAGE } from "../../pve/cli";
import { scanPaths } from "../../scripts/lib/secret-scan";
import {
  checkGeneratedAnswer,
  firstBootScript,
  INSTALL_MARKER,
  installLocale,
  prepareIsoCommand,
  prepareIsoHttpCommand,
  renderAnswer,
  rootPasswordHashProblem,
  ROOT_PASSWORD_HASH_ENV,
  serviceConfig,
} from "../../pve/answers";
import { labWith, loadLab, validLab } from "../helpers";
import { TEST_HASH } from "./support";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const lab = loadLab();
const service = { baseUrl: "https://192.168.1.5:8443", fingerprint: Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, "0").toUpperCase()).join(":") };
const answer = (l = lab, nodeIndex = 0, delivery: "iso" | "http" = "iso") =>
  renderAnswer({ lab: l, nodeIndex, rootPasswordHash: TEST_HASH, delivery, service });
const parsed = (text: string) => parse(text) as Record<string, Record<string, any>>;

describe("answers of the default lab", () => {
  test.each(lab.proxmox.nodes.flatMap((n, i) => (["iso", "http"] as const).map((d) => [n.name, d, i] as const)))(
    "%s (%s) passes the model and the project's checks",
    (_name, delivery, i) => {
      expect(checkGeneratedAnswer(lab, i, answer(lab, i, delivery))).toEqual([]);
    },
  );

  test("pve-02's answer carries the config's values", () => {
    const a = parsed(answer(lab, 1, "http"));
    expect(a.global).toEqual({
      keyboard: "fr",
      country: "fr",
      fqdn: "pve-02.home.arpa",
      mailto: "root@localhost",
      timezone: "Europe/Paris",
      "root-password-hashed": TEST_HASH,
      "root-ssh-keys": lab.vm.sshPublicKeys,
      "reboot-mode": "power-off",
    });
    expect(a.network).toEqual({
      source: "from-answer",
      cidr: "192.168.1.12/24",
      gateway: "192.168.1.1",
      dns: "192.168.1.1",
      filter: { ID_NET_NAME_MAC: "*00005e005302" },
    });
    expect(a["disk-setup"]).toEqual({ filesystem: "ext4", filter: { ID_SERIAL_SHORT: "EXAMPLE-SSD-0002" } });
    expect(a["first-boot"]).toEqual({ source: "from-iso", ordering: "fully-up" });
    expect(a["post-installation-webhook"]).toEqual({ url: "https://192.168.1.5:8443/installed", "cert-fingerprint": service.fingerprint });
  });

  test("the iso delivery has no webhook (nothing listens for it)", () => {
    expect(parsed(answer(lab, 0, "iso"))["post-installation-webhook"]).toBeUndefined();
  });

  test("the disk is chosen as configured: model and serial both, or a device name; zfs and btrfs on one disk", () => {
    const both = validLab(labWith({ "proxmox.nodes[0].install.disk": { serial: "S4EWNX0R1", model: "Samsung SSD 970 EVO" } }));
    expect(parsed(answer(both))["disk-setup"]).toEqual({
      filesystem: "ext4",
      "filter-match": "all",
      filter: { ID_SERIAL_SHORT: "S4EWNX0R1", ID_MODEL: "Samsung_SSD_970_EVO" },
    });
    const device = validLab(labWith({ "proxmox.nodes[0].install.disk": { device: "nvme0n1" } }));
    expect(parsed(answer(device))["disk-setup"]).toEqual({ filesystem: "ext4", "disk-list": ["nvme0n1"] });
    const zfs = validLab(labWith({ "proxmox.nodes[0].install.filesystem": "zfs", "proxmox.nodes[0].ssdStorage": "local-zfs" }));
    expect(parsed(answer(zfs))["disk-setup"]).toMatchObject({ filesystem: "zfs", zfs: { raid: "raid0" } });
    for (const l of [both, device, zfs]) expect(checkGeneratedAnswer(l, 0, answer(l))).toEqual([]);
  });

  test("the service config lists every node's MAC and answer, and no secret", () => {
    const config = serviceConfig(lab, service);
    expect(config).toMatchObject({ listen: "192.168.1.5", port: 8443, answerPath: "/answer", webhookPath: "/installed" });
    expect(config.nodes.map((n) => [n.name, n.mac, n.answer])).toEqual([
      ["pve-01", "00:00:5e:00:53:01", "pve-01.toml"],
      ["pve-02", "00:00:5e:00:53:02", "pve-02.toml"],
      ["pve-03", "00:00:5e:00:53:03", "pve-03.toml"],
    ]);
    expect(JSON.stringify(config)).not.toContain(TEST_HASH);
  });
});

describe("planted mistakes in a generated answer are caught", () => {
  const good = answer(lab, 0, "iso");
  test.each([
    ["a MAC filter broader than the node's NIC", good.replace('"*00005e005301"', '"*"'), "also matches a NIC without 00:00:5e:00:53:01"],
    ["another node's MAC", good.replace("*00005e005301", "*00005e005302"), "matches no NIC"],
    ["a disk filter matching every disk", good.replace('ID_SERIAL_SHORT = "EXAMPLE-SSD-0001"', 'ID_SERIAL_SHORT = "*"'), "not only the configured disk"],
    ["the FQDN of another node", good.replace("pve-01.home.arpa", "pve-02.home.arpa"), "global.fqdn"],
    ["a hostname without its domain", good.replace("pve-01.home.arpa", "pve-01"), "has no domain"],
    ["another address", good.replace("192.168.1.11/24", "192.168.1.12/24"), "network.cidr"],
    ["a plain password next to the hash", good.replace("reboot-mode", 'root-password = "hunter2hunter2"\nreboot-mode'), "not both"], // secret-scan: allow
    ["no SSH key for root", good.replace(/root-ssh-keys = \[[^\]]*\]\n/, ""), "global.root-ssh-keys"],
    ["an unknown key", good.replace("[network]", "[network]\nvlan = 10"), "network.vlan: unknown key"],
  ])("%s", (_what, text, problem) => {
    expect(text).not.toBe(good);
    expect(checkGeneratedAnswer(lab, 0, text).join("\n")).toContain(problem);
  });
});

describe("the root password hash", () => {
  test.each([
    [undefined, "is not set"],
    ["", "is not set"],
    ["hunter2", "not a crypt hash at all"], // secret-scan: allow
    [`$1$salt$${"a".repeat(22)}`, "MD5"],
    [`$6$salt$${"a".repeat(40)}`, "cut"],
  ])("%s is refused, with how to make one", (hash, problem) => {
    const message = rootPasswordHashProblem(hash);
    expect(message).toContain(problem);
    expect(message).toContain("openssl passwd -6");
    expect(message).toContain("mkpasswd -m sha-512");
    if (hash) expect(message).not.toContain(hash);
  });

  test("SHA-512, SHA-256 and yescrypt hashes as openssl and mkpasswd write them are accepted", () => {
    const sha512 = spawnSync("openssl", ["passwd", "-6", "-salt", "homelabtest", "not-the-real-one"], { encoding: "utf8" }).stdout.trim();
    const sha256 = spawnSync("openssl", ["passwd", "-5", "-salt", "homelabtest", "not-the-real-one"], { encoding: "utf8" }).stdout.trim();
    const yescrypt = `$y$j9T$${"a".repeat(22)}$${"b".repeat(43)}`;
    for (const hash of [sha512, sha256, yescrypt, TEST_HASH]) expect(rootPasswordHashProblem(hash)).toBeUndefined();
  });
});

describe("keyboard, country and timezone", () => {
  test("default to the installer's country of vm.timezone and its keyboard", () => {
    const ny = validLab(labWith({ "vm.timezone": "America/New_York", "proxmox.install": {} }));
    expect(installLocale(ny)).toEqual({ keyboard: "en-us", country: "us", timezone: "America/New_York" });
    const vienna = validLab(labWith({ "vm.timezone": "Europe/Vienna", "proxmox.install": { country: "at" } }));
    expect(installLocale(vienna)).toEqual({ keyboard: "de", country: "at", timezone: "Europe/Vienna" });
  });

  test("a timezone outside the installer's table is refused, naming vm.timezone", () => {
    const odd = validLab(labWith({ "vm.timezone": "Asia/Calcutta" }));
    expect(installLocale(odd)).toEqual({ problem: expect.stringContaining("vm.timezone: Asia/Calcutta is not in the Proxmox installer's timezone table") });
  });

  test("UTC needs a country", () => {
    const utc = validLab(labWith({ "vm.timezone": "UTC", "proxmox.install": {} }));
    expect(installLocale(utc)).toEqual({ problem: expect.stringContaining("proxmox.install.country: not set") });
  });
});

test("the prepare-iso commands, exactly", () => {
  expect(prepareIsoCommand("pve-01", { iso: "proxmox-ve_9.1-1.iso" })).toBe(
    "proxmox-auto-install-assistant prepare-iso proxmox-ve_9.1-1.iso --fetch-from iso --answer-file .pve-answers/iso/pve-01.toml " +
      "--on-first-boot .pve-answers/first-boot.sh --output proxmox-ve_9.1-1-pve-01.iso",
  );
  expect(prepareIsoHttpCommand(service, { iso: "proxmox-ve_9.1-1.iso" })).toBe(
    "proxmox-auto-install-assistant prepare-iso proxmox-ve_9.1-1.iso --fetch-from http --url https://192.168.1.5:8443/answer " +
      `--cert-fingerprint ${service.fingerprint} --on-first-boot .pve-answers/first-boot.sh --output proxmox-ve_9.1-1-homelab.iso`,
  );
});

test("the first-boot script writes the marker pve-cluster.yml checks", () => {
  const dir = mkdtempSync(join(tmpdir(), "homelab-first-boot-"));
  try {
    const script = join(dir, "first-boot.sh");
    writeFileSync(script, firstBootScript());
    const marker = join(dir, "etc", "homelab", "pve-installed");
    const run = spawnSync("sh", [script], { env: { ...process.env, HOMELAB_MARKER: marker }, encoding: "utf8" });
    expect(run.status).toBe(0);
    const hostname = spawnSync("hostname", ["-s"], { encoding: "utf8" }).stdout.trim();
    expect(readFileSync(marker, "utf8")).toMatch(new RegExp(`^node=${hostname}$`, "m"));
    expect(firstBootScript()).toContain(`\${HOMELAB_MARKER:-${INSTALL_MARKER}}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pve-cluster.yml checks the marker the first-boot script writes", () => {
  const defaults = readFileSync(join(ROOT, "ansible", "roles", "pve_install_check", "defaults", "main.yml"), "utf8");
  expect(defaults).toContain(`pve_install_check_marker_path: ${INSTALL_MARKER}`);
  expect(readFileSync(join(ROOT, "ansible", "playbooks", "pve-cluster.yml"), "utf8")).toContain("role: pve_install_check");
});

describe("npm run pve:answers", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "homelab-pve-answers-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const DEFAULT_LAB = join(ROOT, "__tests__", "fixtures", "labs", "default.yaml");

  const run = (env: Record<string, string | undefined>, configFile = DEFAULT_LAB, out = join(work, "out")) =>
    runPveAnswers({ args: ["--iso", "proxmox-ve_9.1-1.iso", "--out", out], configFile, env });

  test("the script: three answers per delivery, readable only by their owner, and the commands", () => {
    // Spawned once, to prove the wiring (argv, HOMELAB_CONFIG, the environment, exit code).
    const result = spawnSync(TSX, ["scripts/pve-answers.ts", "--iso", "proxmox-ve_9.1-1.iso", "--out", join(work, "out")], {
      cwd: ROOT,
      env: { ...process.env, HOMELAB_CONFIG: DEFAULT_LAB, [ROOT_PASSWORD_HASH_ENV]: TEST_HASH },
      encoding: "utf8",
    });
    expect(result.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(result.status).toBe(0);
    const out = join(work, "out");
    expect(readdirSync(join(out, "iso")).sort()).toEqual(["pve-01.toml", "pve-02.toml", "pve-03.toml"]);
    expect(readdirSync(join(out, "http")).sort()).toEqual(["pve-01.toml", "pve-02.toml", "pve-03.toml", "service.json"]);
    for (const f of ["iso/pve-01.toml", "http/pve-03.toml", "tls/answer-service.key"]) expect(statSync(join(out, f)).mode & 0o777).toBe(0o600);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(out, "iso", "pve-01.toml"), "utf8")).toContain(TEST_HASH);
    // The hash is never printed; the commands are.
    expect(result.stdout + result.stderr).not.toContain(TEST_HASH);
    expect(result.stdout).toContain(`proxmox-auto-install-assistant prepare-iso proxmox-ve_9.1-1.iso --fetch-from iso --answer-file ${out}/iso/pve-02.toml`);
    expect(result.stdout).toMatch(/--fetch-from http --url https:\/\/192\.168\.1\.5:8443\/answer --cert-fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2} /);
    // The shipped examples are called out: they would install unusable nodes.
    expect(result.stderr).toContain("example-key-replace-me");
    expect(result.stderr).toContain("are example addresses");
    // What would flag a committed answer: the secret scan sees the hash and the TLS key.
    expect(scanPaths([join(out, "iso", "pve-01.toml"), join(out, "tls", "answer-service.key")], "/").map((f) => f.rule)).toEqual(
      expect.arrayContaining(["password-hash", "pem-private-key"]),
    );
  }, 30_000);

  test("keeps the service certificate (its fingerprint is in every prepared ISO), rewrites the answers", () => {
    const first = readFileSync(join(work, "out", "tls", "answer-service.crt"), "utf8");
    const again = run({ [ROOT_PASSWORD_HASH_ENV]: TEST_HASH.replace("homelabtest", "homelabtest2") });
    expect(again.exitCode).toBe(0);
    expect(readFileSync(join(work, "out", "tls", "answer-service.crt"), "utf8")).toBe(first);
    expect(readFileSync(join(work, "out", "http", "pve-02.toml"), "utf8")).toContain("homelabtest2");
    expect(again.stdout).toContain(`--cert-fingerprint ${new X509Certificate(first).fingerprint256} `);
  });

  test("refuses without a hash in the environment, and says how to make one", () => {
    const result = run({}, undefined, join(work, "none"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`pve:answers: ${ROOT_PASSWORD_HASH_ENV} is not set: export ${ROOT_PASSWORD_HASH_ENV}="$(openssl passwd -6)"`);
    expect(() => readdirSync(join(work, "none"))).toThrow();
  });

  test("refuses an invalid config, naming the field", () => {
    const config = join(work, "bad.yaml");
    writeFileSync(config, stringify(labWith({ "proxmox.nodes[1].install.mac": "00:00:5e:00:53:01" })));
    const result = run({ [ROOT_PASSWORD_HASH_ENV]: TEST_HASH }, config, join(work, "bad"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("proxmox.nodes[0].install.mac, proxmox.nodes[1].install.mac: 00:00:5e:00:53:01 is the install MAC of both");
  });

  test("refuses a timezone the installer does not know, naming vm.timezone", () => {
    const config = join(work, "tz.yaml");
    writeFileSync(config, stringify(labWith({ "vm.timezone": "Asia/Calcutta" })));
    const result = run({ [ROOT_PASSWORD_HASH_ENV]: TEST_HASH }, config, join(work, "tz"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("pve:answers: vm.timezone: Asia/Calcutta is not in the Proxmox installer's timezone table");
  });

  test("refuses an unknown argument with the usage", () => {
    expect(runPveAnswers({ args: ["--isp", "x.iso"], configFile: DEFAULT_LAB, env: {} })).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: `pve:answers: unknown argument --isp; ${USAGE}\n`,
    });
  });
});
