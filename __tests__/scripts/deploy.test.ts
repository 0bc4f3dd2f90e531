/**
 * `npm run deploy` (scripts/lib/deploy.ts): cdktf deploy, then the state copied to the Pi, with
 * stand-in programs (a recording io: nothing runs).
 */
import { existsSync, readFileSync } from "node:fs";
import { deploy, deployedStacks, stateCopy, STATE_PLAYBOOK, type DeployIo } from "../../scripts/lib/deploy";
import { labWith, loadLab, validLab } from "../helpers";

const offsite = { repository: { type: "rest", url: "https://backup.example.org:8000/homelab/" } };
const local = validLab(labWith({ "raspberryPi.offsiteBackup": offsite }));
const cloud = validLab(labWith({ "raspberryPi.offsiteBackup": offsite, "raspberryPi.terraformCloudAgent": true, terraformCloud: { organization: "my-homelab" } }));

/** A stand-in io: records what would run, answers with the given exit statuses. */
function recorder(status: Record<string, number> = {}, pulled: Record<string, string> = {}) {
  const ran: string[][] = [];
  const logs: string[] = [];
  const seen: { dir?: string; files: Record<string, string> } = { files: {} };
  const io: DeployIo = {
    run: (program, args) => {
      ran.push([program, ...args]);
      const dirArg = args.find((a) => a.startsWith("homelab_state_dir="));
      if (dirArg) {
        seen.dir = dirArg.split("=")[1];
        for (const stack of Object.keys(pulled)) {
          const file = `${seen.dir}/terraform.${stack}.tfstate`;
          if (existsSync(file)) seen.files[stack] = readFileSync(file, "utf8");
        }
      }
      return status[program] ?? 0;
    },
    capture: (program, args) => {
      ran.push([program, ...args]);
      const stack = /-chdir=cdktf\.out\/stacks\/(\w+)/.exec(args[0])?.[1] ?? "";
      const text = pulled[stack];
      return { status: text === undefined ? 1 : 0, stdout: Buffer.from(text ?? ""), stderr: Buffer.from(text === undefined ? "no state" : "") };
    },
    log: (line) => logs.push(line),
  };
  return { io, ran, logs, seen };
}

test("names the deployed stacks (all three when none is named)", () => {
  expect(deployedStacks([])).toEqual(["infra", "k3s", "platform"]);
  expect(deployedStacks(["platform", "--auto-approve"])).toEqual(["platform"]);
  expect(deployedStacks(["tfc"])).toEqual(["tfc"]);
});

test("local state: deploys, then runs the state playbook for the deployed stacks", () => {
  const { io, ran } = recorder();
  expect(deploy(local, ["k3s", "platform", "--auto-approve"], io)).toBe(0);
  expect(ran).toEqual([
    ["cdktf", "deploy", "k3s", "platform", "--auto-approve"],
    ["ansible-playbook", "-i", "ansible/inventory/hosts.yaml", STATE_PLAYBOOK, "-e", '{"state_backup_stacks": ["k3s","platform"]}'],
  ]);
});

test("a failed deploy still copies the state, and its status wins", () => {
  const { io, ran } = recorder({ cdktf: 1 });
  expect(deploy(local, [], io)).toBe(1);
  expect(ran.map((r) => r[0])).toEqual(["cdktf", "ansible-playbook"]);
});

test("fails when the copy fails, saying how to rerun it", () => {
  const { io, logs } = recorder({ "ansible-playbook": 2 });
  expect(deploy(local, [], io)).toBe(2);
  expect(logs.at(-1)).toBe(`homelab deploy: copying the state to the Pi FAILED; rerun: ansible-playbook -i ansible/inventory/hosts.yaml ${STATE_PLAYBOOK}`);
});

test("Terraform Cloud: pulls each stack's state into a private folder, copies it, removes the folder", () => {
  const state = '{"version":4}\n';
  const { io, ran, seen, logs } = recorder({}, { infra: state, k3s: state });
  expect(deploy(cloud, [], io)).toBe(0);
  expect(ran.slice(1, 4)).toEqual([
    ["terraform", "-chdir=cdktf.out/stacks/infra", "state", "pull"],
    ["terraform", "-chdir=cdktf.out/stacks/k3s", "state", "pull"],
    ["terraform", "-chdir=cdktf.out/stacks/platform", "state", "pull"],
  ]);
  // The platform workspace had no state: said, and the others are still copied.
  expect(logs.some((l) => /state pull of platform failed \(no state\)/.test(l))).toBe(true);
  expect(seen.files).toEqual({ infra: state, k3s: state });
  expect(ran.at(-1)).toContain(`homelab_state_dir=${seen.dir}`);
  expect(existsSync(seen.dir!)).toBe(false);
});

test.each([
  ["the default lab (no off-site repository)", loadLab(), /raspberryPi\.offsiteBackup is not set/],
  ["a lab without a Pi", validLab(labWith({ raspberryPi: undefined })), /no raspberryPi/],
])("%s: deploys and says loudly that the state was not copied", (_what, lab, reason) => {
  const { io, ran, logs } = recorder();
  expect(deploy(lab, [], io)).toBe(0);
  expect(ran).toEqual([["cdktf", "deploy", "infra", "k3s", "platform"]]);
  expect(logs[0]).toMatch(/the Terraform state was NOT copied/);
  expect(logs[0]).toMatch(reason);
  expect(stateCopy(lab, []).kind).toBe("none");
});

test("Terraform Cloud: the tfc stack's local state goes with the pulled ones", () => {
  const { mkdtempSync, writeFileSync, rmSync } = require("node:fs") as typeof import("node:fs");
  const { join } = require("node:path") as typeof import("node:path");
  const { tmpdir } = require("node:os") as typeof import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "homelab-deploy-cwd-"));
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    writeFileSync("terraform.tfc.tfstate", '{"version":4,"serial":2}\n');
    const state = '{"version":4}\n';
    const { io, ran, seen } = recorder({}, { infra: state, k3s: state, platform: state, tfc: "" });
    expect(deploy(cloud, ["infra"], io)).toBe(0);
    expect(ran.filter((r) => r[0] === "terraform")).toEqual([["terraform", "-chdir=cdktf.out/stacks/infra", "state", "pull"]]);
    expect(ran.at(-1)).toContain('{"state_backup_stacks": ["infra","tfc"]}');
    expect(seen.files.tfc).toBe('{"version":4,"serial":2}\n');
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});
