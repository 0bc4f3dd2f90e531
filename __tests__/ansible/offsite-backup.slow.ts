/**
 * The Pi's backup program (ansible/roles/offsite_backup/files/homelab-backup) run against stand-in
 * restic and etcdctl binaries (__tests__/fixtures/stand-ins, named as such): which snapshot the
 * drill restores, what makes each check fail, what is recorded for node-exporter, the state copy's
 * skip-when-unchanged, and the ntfy hook (a loopback HTTP server). The real tools run in
 * scripts/offsite-backup-converge.sh on a booted Debian 13.
 *
 * A slow test (bash and python3 processes, about 10 s on an idle machine): `npm run test:slow`, run by .ci/run, not npm test.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { OFFSITE_ENV, PI_STATE_REPOSITORY, PI_TAG, STATE_HOST, STATE_TAG } from "../../config/backups";
import { FIXTURES } from "../helpers";

const ROOT = join(__dirname, "..", "..");
const ROLE = join(ROOT, "ansible", "roles", "offsite_backup");
const PROGRAM = join(ROLE, "files", "homelab-backup");
const STAND_INS = join(FIXTURES, "stand-ins");
const EXPORT = "/srv/homelab-backups";
// Each test spawns python3 a few times: seconds on a loaded machine.
jest.setTimeout(30_000);

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-backup-test-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const validState = (serial: number) =>
  JSON.stringify({ version: 4, terraform_version: "1.9.8", serial, lineage: "3f1c2a9e-0000-4000-8000-000000000001", outputs: {}, resources: [] }) + "\n";

/** A world for the stand-in restic: the Pi's snapshot with two etcd snapshots, and the state of two stacks. */
function world(options: { state?: Record<string, string>; etcd?: Buffer; fail?: string[] } = {}) {
  const dir = join(work, "world");
  mkdirSync(join(dir, "ls"), { recursive: true });
  mkdirSync(join(dir, "files", `${EXPORT.slice(1)}/etcd/k3s-master-1`), { recursive: true });
  mkdirSync(join(dir, "files", `${EXPORT.slice(1)}/etcd/k3s-master-2`), { recursive: true });
  const state = options.state ?? { infra: validState(7), k3s: validState(3) };
  const snapshots = [
    { id: "aaaa1111", time: "2026-11-30T04:30:00.123456789Z", hostname: "rpi-01", tags: [PI_TAG], paths: [EXPORT] },
    { id: "aaaa2222", time: "2026-12-01T04:30:00.5Z", hostname: "rpi-01", tags: [PI_TAG], paths: [EXPORT] },
    ...Object.keys(state).map((stack, i) => ({
      id: `state${i}`,
      time: `2026-12-01T10:0${i}:00+01:00`,
      hostname: STATE_HOST,
      tags: [STATE_TAG, `stack-${stack}`],
      paths: [`/terraform.${stack}.tfstate`],
    })),
  ];
  writeFileSync(join(dir, "snapshots.json"), JSON.stringify(snapshots));
  const node = (path: string, mtime: string, type = "file") => JSON.stringify({ name: path.split("/").pop(), type, path, mtime });
  writeFileSync(
    join(dir, "ls", "aaaa2222.jsonl"),
    [
      JSON.stringify({ time: "2026-12-01T04:30:00Z", paths: [EXPORT], struct_type: "snapshot" }),
      node(`${EXPORT}/etcd/k3s-master-1`, "2026-12-01T00:00:00Z", "dir"),
      node(`${EXPORT}/etcd/k3s-master-1/etcd-snapshot-k3s-master-1-1796000000`, "2026-11-30T18:00:00Z"),
      node(`${EXPORT}/etcd/k3s-master-2/etcd-snapshot-k3s-master-2-1796100000`, "2026-12-01T00:00:00.000000001Z"),
      node(`${EXPORT}/etcd/k3s-master-2/.etcd-snapshot-k3s-master-2-1796200000.Xy12`, "2026-12-01T01:00:00Z"),
    ].join("\n") + "\n",
  );
  const etcd = options.etcd ?? Buffer.from("ETCD-SNAPSHOT newest");
  writeFileSync(join(dir, "files", `${EXPORT.slice(1)}/etcd/k3s-master-1/etcd-snapshot-k3s-master-1-1796000000`), "ETCD-SNAPSHOT older");
  writeFileSync(join(dir, "files", `${EXPORT.slice(1)}/etcd/k3s-master-2/etcd-snapshot-k3s-master-2-1796100000`), etcd);
  for (const [stack, text] of Object.entries(state)) writeFileSync(join(dir, "files", `terraform.${stack}.tfstate`), text);
  if (options.fail) writeFileSync(join(dir, "fail"), options.fail.join("\n"));
  return dir;
}

/** The program's configuration, as the role's backup.json.j2 renders it, with the stand-ins. */
function config(extra: Record<string, unknown> = {}) {
  const etc = join(work, "etc");
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, "offsite.env"), "RESTIC_REPOSITORY=rest:http://127.0.0.1:8000/homelab/\n", { mode: 0o600 });
  writeFileSync(join(etc, "restic-password"), "stand-in-password\n", { mode: 0o600 });
  mkdirSync(join(work, "export", "etcd"), { recursive: true });
  const cfg = {
    host: "rpi-01",
    env_file: join(etc, "offsite.env"),
    password_file: join(etc, "restic-password"),
    ntfy_env_file: join(etc, "ntfy.env"),
    restic_options: [],
    cache_dir: join(work, "cache"),
    paths: [join(work, "export")],
    required_paths: [join(work, "export")],
    export_path: EXPORT,
    excludes: [".etcd-snapshot-*"],
    pi_tag: PI_TAG,
    state_repository: join(work, "state-repo"),
    state_stacks: ["infra", "k3s", "platform"],
    state_tag: STATE_TAG,
    state_host: STATE_HOST,
    state_required: true,
    retention: { daily: 7, weekly: 4, monthly: 12 },
    read_data_percent: 5,
    status_dir: join(work, "status"),
    textfile_dir: join(work, "textfile"),
    scratch_dir: work,
    lock_file: join(work, "backup.lock"),
    state_lock_file: join(work, "state.lock"),
    restic: join(STAND_INS, "restic"),
    etcdctl: join(STAND_INS, "etcdctl"),
    ...extra,
  };
  writeFileSync(join(etc, "backup.json"), JSON.stringify(cfg));
  return join(etc, "backup.json");
}

function run(worldDir: string, args: string[], input?: string | Buffer) {
  return spawnSync("python3", [PROGRAM, "--config", join(work, "etc", "backup.json"), ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", FAKE_RESTIC_WORLD: worldDir },
    input,
    encoding: "utf8",
  });
}

const prom = (name: string) => readFileSync(join(work, "textfile", `${name}.prom`), "utf8");
const calls = (worldDir: string) =>
  readFileSync(join(worldDir, "calls.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { argv: string[]; repository: string });

describe("the restore drill", () => {
  test("restores the newest etcd snapshot (not a temporary file) and every stack's state, and records green", () => {
    const w = world();
    config();
    const out = run(w, ["drill"]);
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    const text = prom("homelab_restore_drill");
    expect(text).toContain("homelab_restore_drill_success 1\n");
    expect(text).toContain('homelab_restore_drill_check_success{check="etcd"} 1');
    expect(text).toContain('homelab_restore_drill_check_success{check="repository"} 1');
    expect(text).toContain('homelab_restore_drill_check_success{check="state"} 1');
    // k3s-master-2's snapshot is the newest file; the rsync temporary file is skipped.
    expect(text).toContain(`homelab_restore_drill_etcd_snapshot_timestamp_seconds ${Date.parse("2026-12-01T00:00:00Z") / 1000}\n`);
    expect(text).toContain('homelab_restore_drill_state_serial{stack="infra"} 7');
    expect(text).toContain('homelab_restore_drill_state_serial{stack="k3s"} 3');
    expect(text).toMatch(/homelab_restore_drill_last_success_timestamp_seconds [1-9]\d+/);
    const ran = calls(w).map((c) => c.argv);
    expect(ran[0]).toEqual(["check", "--read-data-subset=5%"]);
    expect(ran).toContainEqual(["dump", "aaaa2222", `${EXPORT}/etcd/k3s-master-2/etcd-snapshot-k3s-master-2-1796100000`]);
    expect(ran).toContainEqual(["dump", "state0", "/terraform.infra.tfstate"]);
    const status = JSON.parse(readFileSync(join(work, "status", "restore-drill.json"), "utf8"));
    expect(status.etcd).toMatchObject({ revision: 42, keys: 7 });
    // The scratch folder is gone.
    expect(spawnSync("sh", ["-c", `ls -d ${work}/homelab-restore-drill.* 2>/dev/null`]).stdout.toString()).toBe("");
  });

  test.each([
    ["a repository check that finds damage", { fail: ["check"] }, "repository", /repository check: restic check exited 1/],
    ["an etcd snapshot whose hash does not match", { etcd: Buffer.from("ETCD-SNAPSHOT newest DAMAGED") }, "etcd", /etcdctl snapshot restore exited 1/],
    ["a state without lineage", { state: { infra: JSON.stringify({ version: 4, terraform_version: "1.9.8", serial: 1, resources: [] }) } }, "state", /state of infra is not Terraform state: no lineage/],
    ["a state that is not JSON", { state: { k3s: "{ truncated" } }, "state", /state of k3s: not JSON/],
    ["no state at all", { state: {} }, "state", /no Terraform state in the repository .*npm run deploy/],
  ])("fails on %s, naming the check; the other checks still run", (_what, options, check, message) => {
    const w = world(options as Parameters<typeof world>[0]);
    config();
    const out = run(w, ["drill"]);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(message);
    const text = prom("homelab_restore_drill");
    expect(text).toContain("homelab_restore_drill_success 0\n");
    expect(text).toContain(`homelab_restore_drill_check_success{check="${check}"} 0`);
    for (const other of ["repository", "etcd", "state"].filter((c) => c !== check)) {
      expect(text).toContain(`homelab_restore_drill_check_success{check="${other}"} 1`);
    }
    // Never succeeded: no last-success sample (the alert then counts from the setup).
    expect(text).not.toContain("homelab_restore_drill_last_success_timestamp_seconds ");
  });

  test("a failure after a success keeps the time of that success", () => {
    const w = world();
    config();
    expect(run(w, ["drill"]).status).toBe(0);
    const before = /homelab_restore_drill_last_success_timestamp_seconds (\d+)/.exec(prom("homelab_restore_drill"))![1];
    writeFileSync(join(w, "fail"), "check");
    expect(run(w, ["drill"]).status).toBe(1);
    expect(prom("homelab_restore_drill")).toContain(`homelab_restore_drill_last_success_timestamp_seconds ${before}\n`);
  });
});

describe("the off-site backup", () => {
  test("backs up the export, prunes and copies the state, and records it", () => {
    const w = world();
    config();
    writeFileSync(join(work, "state-repo-config"), "");
    mkdirSync(join(work, "state-repo"));
    writeFileSync(join(work, "state-repo", "config"), "stand-in");
    const out = run(w, ["backup"]);
    expect(out.status).toBe(0);
    const ran = calls(w);
    expect(ran.map((c) => c.argv[0])).toEqual(["backup", "forget", "copy", "forget"]);
    expect(ran[0].argv).toEqual(["backup", "--host", "rpi-01", "--tag", PI_TAG, "--exclude", ".etcd-snapshot-*", join(work, "export"), "--json"]);
    // The state repository is pruned with the same retention before its snapshots are copied off-site.
    expect(ran[1]).toEqual({ argv: ["forget", "--prune", "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "12"], repository: join(work, "state-repo") });
    expect(ran[2].argv).toEqual(["copy", "--from-repo", join(work, "state-repo"), "--from-password-file", join(work, "etc", "restic-password"), "--tag", STATE_TAG]);
    expect(ran[3].repository).toBe("rest:http://127.0.0.1:8000/homelab/");
    expect(prom("homelab_offsite_backup")).toContain("homelab_offsite_backup_added_bytes 1234");
    expect(prom("homelab_offsite_backup")).toContain("homelab_offsite_backup_success 1\n");
  });

  test("fails when the export is missing, and records it", () => {
    const w = world();
    config({ required_paths: [join(work, "no-such-export")] });
    const out = run(w, ["backup"]);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain("no-such-export missing (is the NFS export there?)");
    expect(prom("homelab_offsite_backup")).toContain("homelab_offsite_backup_success 0\n");
  });
});

describe("the state copy (state-store)", () => {
  const state = validState(12);
  const sha = createHash("sha256").update(state).digest("hex");

  test("stores a new state with its stack, hash and serial tags", () => {
    const w = world({ state: {} });
    config();
    const out = run(w, ["state-store", "--base64", "platform", sha], Buffer.from(state).toString("base64"));
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ changed: true, stack: "platform", serial: 12 });
    const backup = calls(w).find((c) => c.argv[0] === "backup")!;
    expect(backup.repository).toBe(join(work, "state-repo"));
    expect(backup.argv).toEqual([
      "backup", "--stdin", "--stdin-filename", "terraform.platform.tfstate", "--host", STATE_HOST, "--tag", STATE_TAG,
      "--tag", "stack-platform", "--tag", `sha256-${sha.slice(0, 16)}`, "--tag", "serial-12",
    ]);
    expect(readFileSync(join(w, "stored"), "utf8")).toBe(state);
  });

  test("skips a state whose newest copy is the same", () => {
    const w = world({ state: {} });
    config();
    const snapshots = [{ id: "s1", time: "2026-12-01T00:00:00Z", hostname: STATE_HOST, tags: [STATE_TAG, "stack-platform", `sha256-${sha.slice(0, 16)}`], paths: [] }];
    writeFileSync(join(w, "snapshots.json"), JSON.stringify(snapshots));
    const out = run(w, ["state-store", "--base64", "platform", sha], Buffer.from(state).toString("base64"));
    expect(JSON.parse(out.stdout)).toMatchObject({ changed: false });
    expect(calls(w).some((c) => c.argv[0] === "backup")).toBe(false);
  });

  test.each([
    ["a state that does not match its hash", "platform", "0".repeat(64), state, /does not match its sha256/],
    ["an unknown stack", "database", sha, state, /unknown stack 'database'/],
    ["something that is not Terraform state", "platform", createHash("sha256").update("[]").digest("hex"), "[]", /not a JSON object/],
  ])("refuses %s", (_what, stack, hash, text, message) => {
    const w = world({ state: {} });
    config();
    const out = run(w, ["state-store", "--base64", stack, hash], Buffer.from(text).toString("base64"));
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(message);
    expect(existsSync(join(w, "stored"))).toBe(false);
  });
});

describe("restore (disaster recovery)", () => {
  test("puts the newest snapshot of this Pi back in place", () => {
    const w = world();
    config();
    const out = run(w, ["restore"]);
    expect(out.status).toBe(0);
    expect(calls(w).at(-1)!.argv).toEqual(["restore", "aaaa2222", "--target", "/"]);
  });
});

describe("the OnFailure hook (notify)", () => {
  test("posts the unit, the host and the recorded reason to ntfy, with the authorization", async () => {
    const received: { url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ url: req.url, headers: req.headers, body });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const w = world({ fail: ["check"] });
      config();
      expect(run(w, ["drill"]).status).toBe(1);
      const token = ["Bearer", "tk_standin"].join(" ");
      writeFileSync(join(work, "etc", "ntfy.env"), `NTFY_URL=http://127.0.0.1:${port}/homelab-alerts\nNTFY_AUTHORIZATION=${token}\n`);
      const out = await new Promise<{ status: number | null }>((resolve) => {
        const child = require("node:child_process").spawn("python3", [PROGRAM, "--config", join(work, "etc", "backup.json"), "notify", "homelab-restore-drill.service"]);
        child.on("exit", (status: number | null) => resolve({ status }));
      });
      expect(out.status).toBe(0);
      expect(received).toHaveLength(1);
      expect(received[0].url).toBe("/homelab-alerts");
      expect(received[0].headers.authorization).toBe(token);
      expect(received[0].headers.title).toBe("homelab: homelab-restore-drill.service failed on rpi-01");
      expect(received[0].body).toContain("repository check: restic check exited 1");
      expect(received[0].body).toContain("journalctl -u homelab-restore-drill.service");
    } finally {
      server.close();
    }
  });

  test("without ntfy it only says so (the failed unit stays visible in systemctl --failed)", () => {
    const w = world();
    config();
    const out = run(w, ["notify", "homelab-offsite-backup.service"]);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain("no ntfy configured");
  });
});

describe("the role", () => {
  const defaults = readFileSync(join(ROLE, "defaults", "main.yml"), "utf8");

  test("reads exactly the environment variables config/backups.ts names", () => {
    const read = [...defaults.matchAll(/lookup\('ansible\.builtin\.env', '([A-Z_]+)'\)/g)].map((m) => m[1]).sort();
    expect(read).toEqual([...Object.values(OFFSITE_ENV), "NTFY_PUBLISH_AUTHORIZATION"].sort());
  });

  test("shares the tags, host and state repository with config/backups.ts", () => {
    const d = parse(defaults) as Record<string, string>;
    expect([d.offsite_backup_state_tag, d.offsite_backup_pi_tag, d.offsite_backup_state_host, d.offsite_backup_state_repository]).toEqual([
      STATE_TAG,
      PI_TAG,
      STATE_HOST,
      PI_STATE_REPOSITORY,
    ]);
  });

  test("writes every secret with no_log, root only", () => {
    const tasks = parse(readFileSync(join(ROLE, "tasks", "main.yml"), "utf8")) as Record<string, any>[];
    const flat = tasks.flatMap((t) => [t, ...(t.block ?? [])]);
    const secretWrites = flat.filter((t) => /password|credentials|authorization/i.test(t.name) && (t["ansible.builtin.copy"] || t["ansible.builtin.template"]));
    expect(secretWrites.map((t) => t.name)).toEqual([
      "Write the repository password",
      "Write the repository and its credentials",
      "Write the ntfy topic and its authorization",
    ]);
    for (const t of secretWrites) {
      expect(t.no_log).toBe(true);
      expect((t["ansible.builtin.copy"] ?? t["ansible.builtin.template"]).mode).toBe("0600");
    }
  });

  test("the program is executable", () => {
    chmodSync(PROGRAM, 0o755);
    expect(spawnSync("python3", [PROGRAM, "--help"], { encoding: "utf8" }).stdout).toContain("homelab-backup");
  });
});
