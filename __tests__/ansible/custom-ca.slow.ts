/**
 * roles/k3s_server/tasks/custom_ca.yml, run by the real ansible-playbook on this machine
 * (`npm run ansible:roles`, in .ci/run: too slow for npm test)
 * (connection local), one "host" per case, each with its own TLS folder: the server that creates
 * the cluster gets Terraform's CA files (0600, never overwritten), the others get none, and a
 * server whose CA differs stops the run with the recovery message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const FILES = [
  "server-ca.crt",
  "server-ca.key",
  "client-ca.crt",
  "client-ca.key",
  "request-header-ca.crt",
  "request-header-ca.key",
  "etcd/peer-ca.crt",
  "etcd/peer-ca.key",
  "etcd/server-ca.crt",
  "etcd/server-ca.key",
  "service.key",
];
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
/** Stand-ins for the k3s stack's PEMs: the role handles them as text. */
const caFiles = Object.fromEntries(FILES.map((f) => [f, f.endsWith(".crt") ? pem("CERTIFICATE", `TERRAFORM${f.replace(/\W/g, "")}`) : pem("EC PRIVATE KEY", `KEY${f.replace(/\W/g, "")}`)]));

const asRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), "custom-ca-"));
const tls = (host: string) => join(work, host, "tls");

interface Case {
  readonly first: boolean;
  readonly joinIp?: string;
  readonly etcd?: boolean;
  readonly noEnv?: boolean;
  /** Files present before the run. */
  readonly existing?: Record<string, string>;
}

const CASES: Record<string, Case> = {
  creator: { first: true },
  joiner: { first: false },
  // A rebuilt first server (no etcd data) that found a peer: it joins, the CAs come from the cluster.
  rebuilt: { first: true, joinIp: "192.168.1.22" },
  // Same CA with other line breaks and a chain after it, as K3s may write it; its key is left alone.
  matching: { first: false, etcd: true, existing: { "server-ca.crt": caFiles["server-ca.crt"].replace(/\n/g, "\r\n") + pem("CERTIFICATE", "CHAIN"), "server-ca.key": "kept" } },
  mismatch: { first: true, etcd: true, existing: { "server-ca.crt": pem("CERTIFICATE", "GENERATEDBYK3S") } },
  "missing-env": { first: true, noEnv: true },
};

function inventory(): string {
  const hosts = Object.entries(CASES).map(([name, c]) => {
    const vars = {
      ansible_connection: "local",
      ansible_python_interpreter: "auto_silent",
      k3s_first_server: c.first,
      k3s_server_join_ip: c.joinIp ?? "",
      k3s_server_local_etcd: { stat: { exists: c.etcd ?? false } },
      k3s_server_tls_dir: tls(name),
      ...(c.noEnv ? { k3s_server_ca_files_json: "" } : {}),
    };
    return `    ${name}: ${JSON.stringify(vars)}`;
  });
  return `all:\n  hosts:\n${hosts.join("\n")}\n`;
}

function play(limit?: string): { status: number; out: string } {
  const args = ["-i", join(work, "hosts.yaml"), join(work, "play.yml"), ...(limit ? ["--limit", limit] : [])];
  const run = spawnSync("ansible-playbook", args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, K3S_CA_FILES: JSON.stringify(caFiles), ANSIBLE_ROLES_PATH: join(ROOT, "ansible", "roles"), ANSIBLE_NOCOLOR: "1", ANSIBLE_STDOUT_CALLBACK: "default" },
  });
  return { status: run.status ?? 1, out: `${run.stdout}${run.stderr}` };
}

const recap = (out: string, host: string) => out.match(new RegExp(`^${host}\\s*:\\s*(.*)$`, "m"))?.[1] ?? "";

(asRoot ? describe : describe.skip)("k3s_server custom_ca.yml (ansible-playbook, connection local)", () => {
  let first: { status: number; out: string };

  beforeAll(() => {
    for (const [name, c] of Object.entries(CASES)) {
      mkdirSync(tls(name), { recursive: true });
      for (const [file, content] of Object.entries(c.existing ?? {})) writeFileSync(join(tls(name), file), content);
    }
    writeFileSync(join(work, "hosts.yaml"), inventory());
    writeFileSync(
      join(work, "play.yml"),
      "- name: Custom CA\n  hosts: all\n  gather_facts: false\n  tasks:\n    - name: The role's CA tasks\n      ansible.builtin.import_role:\n        name: k3s_server\n        tasks_from: custom_ca\n",
    );
    first = play();
    if (process.env.HOMELAB_DEBUG === "1") console.log(first.out);
  });

  test("the server that creates the cluster gets every CA file, root-only", () => {
    expect(recap(first.out, "creator")).toMatch(/failed=0/);
    for (const file of FILES) {
      const path = join(tls("creator"), file);
      expect(readFileSync(path, "utf8")).toBe(caFiles[file]);
      expect((statSync(path).mode & 0o777).toString(8)).toBe("600");
    }
    expect((statSync(join(tls("creator"), "etcd")).mode & 0o777).toString(8)).toBe("700");
  });

  test("joining and rebuilt servers get none; a server with the same CA keeps its files", () => {
    for (const host of ["joiner", "rebuilt", "matching"]) {
      expect(recap(first.out, host)).toMatch(/changed=0 .*failed=0/);
    }
    expect(existsSync(join(tls("joiner"), "server-ca.crt"))).toBe(false);
    expect(existsSync(join(tls("rebuilt"), "server-ca.key"))).toBe(false);
    expect(readFileSync(join(tls("matching"), "server-ca.key"), "utf8")).toBe("kept");
  });

  test("fails when the cluster's CA differs from Terraform's, names the file and the recovery, changes nothing", () => {
    expect(recap(first.out, "mismatch")).toMatch(/failed=1/);
    expect(first.out).toContain("server-ca.crt is not the server-ca.crt that the k3s stack generated");
    expect(first.out).toContain("k3s certificate rotate-ca --force");
    expect(readFileSync(join(tls("mismatch"), "server-ca.crt"), "utf8")).toContain("GENERATEDBYK3S");
    expect(existsSync(join(tls("mismatch"), "client-ca.key"))).toBe(false);
  });

  test("fails when the server creating the cluster has no CA files in its environment", () => {
    expect(recap(first.out, "missing-env")).toMatch(/failed=1/);
    expect(first.out).toContain("missing-env creates the cluster but K3S_CA_FILES is empty or incomplete");
    expect(existsSync(join(tls("missing-env"), "server-ca.crt"))).toBe(false);
  });

  test("no key appears in the output; a second run changes nothing", () => {
    expect(first.out).not.toContain("KEY");
    const second = play("creator,joiner,rebuilt,matching");
    expect(second.status).toBe(0);
    for (const host of ["creator", "joiner", "rebuilt", "matching"]) expect(recap(second.out, host)).toMatch(/changed=0 /);
  });
});

test("ansible-playbook is installed (Debian's ansible), so the cases above ran", () => {
  expect(execFileSync("ansible-playbook", ["--version"], { encoding: "utf8" })).toMatch(/^ansible-playbook \[core \d+\.\d+/);
});
