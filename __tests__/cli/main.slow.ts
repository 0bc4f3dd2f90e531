/**
 * main.ts as a user runs it (`npm run synth`): a valid config writes every stack, twice the same
 * bytes; an invalid one exits non-zero, names the field, and writes nothing.
 *
 * Three tsx processes (about 10 s): `npm run test:slow`, run by .ci/run; npm test covers the same
 * function in process (__tests__/cli/synth.test.ts, runSynth).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { labWith, FIXTURES } from "../helpers";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

function synth(configFile: string, outdir: string) {
  return spawnSync(TSX, ["main.ts"], {
    cwd: ROOT,
    env: { ...process.env, HOMELAB_CONFIG: configFile, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[p.slice(dir.length)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("synthesizes the three stacks, byte-identical on a second run", () => {
  const config = join(FIXTURES, "labs", "default.yaml");
  const first = synth(config, join(work, "a"));
  // The fixture keeps the example SSH key: synth warns about it and goes on…
  expect(first.stderr).toMatch(/^warning: vm\.sshPublicKeys\[0\]: this is the example key/);
  // …and about the example install MACs (RFC 7042 documentation range).
  expect(first.stderr).toMatch(/^warning: proxmox\.nodes\[0\]\.install\.mac, .* are example addresses/m);
  // …and that no backup leaves the house (the shipped lab has no off-site repository).
  expect(first.stderr).toMatch(/^warning: raspberryPi\.offsiteBackup: every backup/m);
  expect(first.stderr.trim().split("\n")).toHaveLength(3);
  expect(first.status).toBe(0);
  for (const stack of ["infra", "k3s", "platform"]) {
    expect(existsSync(join(work, "a", "stacks", stack, "cdk.tf.json"))).toBe(true);
  }
  const second = synth(config, join(work, "b"));
  expect(second.status).toBe(0);
  expect(filesUnder(join(work, "b"))).toEqual(filesUnder(join(work, "a")));
}, 60_000);

test.each([
  ["the VIP is 192.168.1.300", { "k3s.apiVip": "192.168.1.300" }, ['k3s.apiVip: got "192.168.1.300"; must be an IPv4 address such as 192.168.1.21']],
  [
    "two VMs share an IP",
    { "k3s.servers[1].address": "192.168.1.21" },
    ["k3s.servers[0].address, k3s.servers[1].address: 192.168.1.21 is claimed by both"],
  ],
])("fails when %s: exit 1, the path printed, nothing written", (_why, changes, expected) => {
  const config = join(work, "bad.yaml");
  writeFileSync(config, stringify(labWith(changes)));
  const outdir = join(work, "bad-out");
  const run = synth(config, outdir);
  expect(run.status).toBe(1);
  for (const line of expected) expect(run.stderr).toContain(line);
  expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  expect(existsSync(outdir)).toBe(false);
}, 30_000);
