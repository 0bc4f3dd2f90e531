/**
 * The CI workflow shipped for users (.github/workflows/ci.yml, also what Gitea Actions runs):
 * structurally valid for GitHub's workflow schema (@action-validator/cli, offline), every action
 * pinned by commit SHA, the README's test command, the doctor, and the online checks delegated
 * to scripts/ci-online.sh, which users run the same way.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const REPO = join(__dirname, "..", "..");
const WORKFLOWS = join(REPO, ".github", "workflows");
const WORKFLOW = join(WORKFLOWS, "ci.yml");
const VALIDATOR = join(REPO, "node_modules", ".bin", "action-validator");
const CI_ONLINE = join(REPO, "scripts", "ci-online.sh");

type Json = Record<string, any>;
const text = readFileSync(WORKFLOW, "utf8");
const workflow = parse(text) as Json;
const jobs = Object.entries<Json>(workflow.jobs);
const steps = jobs.flatMap(([, job]) => job.steps as Json[]);
const runs = (job: string) => (workflow.jobs[job].steps as Json[]).map((s) => s.run).filter((r): r is string => typeof r === "string");

/** `uses:` lines not pinned as `owner/repo@<40-hex SHA> # vX.Y.Z`. */
function unpinned(workflowText: string): string[] {
  return workflowText
    .split("\n")
    .filter((l) => /^\s*-?\s*uses:/.test(l))
    .filter((l) => !/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(l));
}

function validate(file: string): { status: number | null; output: string } {
  const result = spawnSync(VALIDATOR, [file], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The test command of the README's opening block (`npm test   # run the test suite …`). */
function readmeTestCommand(): string {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const line = block.split("\n").find((l) => /#.*\btest suite\b/.test(l));
  if (!line) throw new Error("README.md: no test command in the opening sh block (a line commented `# run the test suite`)");
  return line.replace(/#.*$/, "").trim();
}

describe("the CI workflow", () => {
  test("is the only workflow, and there is no .gitea/workflows (Gitea then runs .github/workflows)", () => {
    expect(readdirSync(WORKFLOWS)).toEqual(["ci.yml"]);
    expect(existsSync(join(REPO, ".gitea", "workflows"))).toBe(false);
  });

  test("passes the GitHub workflow schema (action-validator)", () => {
    expect(validate(WORKFLOW)).toEqual({ status: 0, output: "" });
  });

  test("fails the schema check when a job is malformed (planted `step:` for `steps:`)", () => {
    const dir = mkdtempSync(join(tmpdir(), "workflow-"));
    try {
      const broken = join(dir, "ci.yml");
      writeFileSync(broken, text.replace("    steps:\n", "    step:\n"));
      const result = validate(broken);
      expect(result.status).toBe(1);
      expect(result.output).toContain("Additional property 'step' is not allowed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("runs on push and pull request", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
  });

  test("pins every action by a full commit SHA, with its release tag in a comment", () => {
    expect(steps.filter((s) => s.uses).length).toBe(6);
    expect(unpinned(text)).toEqual([]);
  });

  test("fails the pin check on a tag, a short SHA or a missing version comment", () => {
    const planted = [
      "      - uses: actions/checkout@v5",
      "      - uses: actions/checkout@08c6903 # v5.0.0",
      "      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
    ];
    expect(unpinned(planted.join("\n"))).toEqual(planted);
  });

  test("uses only what Gitea Actions runs too: plain runs-on labels, no hashFiles(), no concurrency", () => {
    for (const [, job] of jobs) expect(typeof job["runs-on"]).toBe("string");
    expect(JSON.stringify(workflow)).not.toMatch(/hashFiles\(/);
    expect(JSON.stringify(workflow)).not.toMatch(/"concurrency"/);
  });

  test("runs the README's test command, the typecheck and the doctor on the user's homelab.yaml (with Terraform, which synth asks for its version)", () => {
    expect(readmeTestCommand()).toBe("npm test");
    expect((workflow.jobs.test.steps as Json[]).filter((s) => s.uses).map((s) => s.uses.split("@")[0])).toEqual(["actions/checkout", "actions/setup-node", "hashicorp/setup-terraform"]);
    expect(runs("test")).toEqual(["npm ci --no-audit --no-fund", readmeTestCommand(), "npm run typecheck", "npm run doctor"]);
  });

  test("runs the online checks through scripts/ci-online.sh, with Terraform, Ansible and ansible-lint installed first", () => {
    const online = workflow.jobs.online.steps as Json[];
    expect(online.map((s) => s.uses?.split("@")[0] ?? s.run?.split("\n")[0])).toEqual([
      "actions/checkout",
      "actions/setup-node",
      "hashicorp/setup-terraform",
      'if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi',
      "npm ci --no-audit --no-fund",
      "bash scripts/ci-online.sh",
    ]);
    expect(online[2].with).toEqual({ terraform_version: "1.14.9", terraform_wrapper: false });
    expect(online[3].run).toContain("apt-get install -y -qq ansible ansible-lint");
  });

  test("the Terraform version is found by Renovate's marker manager (the actions by its github-actions manager)", () => {
    const renovate = JSON.parse(readFileSync(join(REPO, "renovate.json"), "utf8"));
    const marker = (renovate.customManagers as Json[]).find((m) => m.managerFilePatterns.includes("/^\\.github/workflows/.+\\.ya?ml$/"));
    // Renovate's named groups are JavaScript's: the pattern runs as written.
    const matches = [...text.matchAll(new RegExp(marker?.matchStrings[0], "g"))].map((m) => m.groups);
    expect(matches).toEqual([
      expect.objectContaining({ datasource: "custom.hashicorp-releases", depName: "terraform", currentValue: "1.14.9" }),
      expect.objectContaining({ datasource: "custom.hashicorp-releases", depName: "terraform", currentValue: "1.14.9" }),
    ]);
  });
});

describe("scripts/ci-online.sh", () => {
  const script = readFileSync(CI_ONLINE, "utf8");

  test("is executable bash that parses, and the npm script runs it", () => {
    expect(statSync(CI_ONLINE).mode & 0o111).not.toBe(0);
    execFileSync("bash", ["-n", CI_ONLINE]);
    expect(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).scripts["ci:online"]).toBe("bash scripts/ci-online.sh");
  });

  test("validates every synthesized stack, renders every release from pulled charts, and lints Ansible", () => {
    expect(script).toContain('CDKTF_OUTDIR="$OUT" npm run --silent synth');
    expect(script).toContain('for dir in "$OUT"/stacks/*/; do');
    expect(script).toContain("terraform init -backend=false -no-color >/dev/null && terraform validate -no-color");
    expect(script).toMatch(/scripts\/render-validate\.ts --stack "\$OUT\/stacks\/platform" \\\n\s+--charts "[^"]+" --pull/);
    expect(script).toContain("npm run --silent ansible:check");
  });

  test("fails early, naming each missing tool and how to get it", () => {
    // A PATH with only what the script needs before its checks (a stand-in for a bare machine).
    const bin = mkdtempSync(join(tmpdir(), "ci-online-path-"));
    try {
      symlinkSync(execFileSync("bash", ["-c", "command -v dirname"], { encoding: "utf8" }).trim(), join(bin, "dirname"));
      const result = spawnSync("/bin/bash", [CI_ONLINE], { encoding: "utf8", env: { PATH: bin, HOME: bin } });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("ci-online: terraform not found: install Terraform >= 1.5 (CI uses 1.14.9)");
      expect(result.stderr).toContain("ci-online: ansible-lint not found: apt-get install ansible-lint");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
