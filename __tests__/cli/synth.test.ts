/**
 * Synth says what it did (runSynth, the function behind main.ts): the stacks with their resource
 * counts, the output folder, the warnings and the next command; and an error raised while the
 * stacks are built becomes `homelab:` lines without a stack trace.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, DataResource, TerraformStack } from "cdktf";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { buildLab } from "../../stacks/lab";
import { runSynth, summarizeStacks, terraformVersionProblem, validateApp } from "../../stacks/synth";
import { FIXTURES, loadLab } from "../helpers";

const CONFIG = join(FIXTURES, "labs", "default.yaml");
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-synth-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("on success, prints each stack with its resource count, the folder, the warnings and the next command", () => {
  const outdir = join(work, "out");
  const outcome = runSynth({ configFile: CONFIG, outdir, underCdktfCli: false, terraformFound: true });
  expect(outcome.exitCode).toBe(0);
  const counts = summarizeStacks(outdir);
  expect(counts.map((s) => s.name)).toEqual(["infra", "k3s", "platform"]);
  for (const s of counts) expect(s.resources).toBeGreaterThan(0);
  const lines = outcome.stdout.trimEnd().split("\n");
  expect(lines[0]).toBe(`homelab: synthesized ${CONFIG} into ${join(work, "out")}/`);
  for (const s of counts) expect(outcome.stdout).toMatch(new RegExp(`\\n  ${s.name} +${s.resources} resources`));
  expect(outcome.stdout).toContain("3 warnings (printed above)");
  expect(lines[lines.length - 1]).toBe("next: npm run doctor (the plan), then npm run deploy (cdktf deploy infra k3s platform, then the state copied to the Pi)");
  expect(outcome.stderr).toMatch(/^warning: vm\.sshPublicKeys\[0\]: this is the example key/);
  expect(outcome.stderr).toMatch(/^warning: proxmox\.nodes\[0\]\.install\.mac, .* are example addresses/m);
});

test("the resource counts are those of the synthesized JSON (infra: 3 VMs, their snippets, images and HA)", () => {
  const infra = summarizeStacks(join(work, "out")).find((s) => s.name === "infra");
  // 3 downloads + 3 snippets + 3 VMs + 3 generations + 3 HA resources + 3 HA rules.
  expect(infra?.resources).toBe(18);
});

test("under the cdktf CLI (cdktf synth/deploy), prints only the warnings: the CLI reports progress itself", () => {
  const outcome = runSynth({ configFile: CONFIG, outdir: join(work, "cli"), underCdktfCli: true, terraformFound: true });
  expect(outcome).toEqual({ exitCode: 0, stdout: "", stderr: expect.stringMatching(/^warning: /) });
});

test("fails when building the stacks throws: homelab lines naming the error, no stack trace, exit 1", () => {
  const outdir = join(work, "broken");
  const outcome = runSynth({
    configFile: CONFIG,
    outdir,
    underCdktfCli: false, terraformFound: true,
    // A named stand-in for a construct that refuses a value the config checks let through.
    build: () => {
      throw new Error('Longhorn longhorn: backupCron "x" is not a 5-field cron expression');
    },
  });
  expect(outcome.exitCode).toBe(1);
  expect(outcome.stdout).toBe("");
  expect(outcome.stderr).toContain(`homelab: the stacks could not be built from ${CONFIG}: Longhorn longhorn: backupCron "x"`);
  expect(outcome.stderr).toContain("npm run doctor");
  expect(outcome.stderr).toContain("HOMELAB_DEBUG=1");
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(join(outdir, "manifest.json"))).toBe(false);
});

test("with HOMELAB_DEBUG=1, the stack trace of such an error is printed", () => {
  const outcome = runSynth({
    configFile: CONFIG,
    outdir: join(work, "debug"),
    underCdktfCli: false, terraformFound: true,
    debug: true,
    build: () => {
      throw new Error("boom");
    },
  });
  expect(outcome.stderr).toMatch(/\n\s+at /);
});

test("fails when the config is invalid: nothing built, the problems printed", () => {
  const outcome = runSynth({ configFile: join(work, "missing.yaml"), outdir: join(work, "none"), underCdktfCli: false, terraformFound: true });
  expect(outcome.exitCode).toBe(1);
  expect(outcome.stderr).toContain("is not valid, nothing was synthesized");
  expect(existsSync(join(work, "none"))).toBe(false);
});

test("without terraform on PATH, synth still writes the stacks, skipping cdktf's version check with a warning", () => {
  const outdir = join(work, "no-terraform");
  const outcome = runSynth({ configFile: CONFIG, outdir, underCdktfCli: false, terraformFound: false });
  expect(outcome.exitCode).toBe(0);
  expect(outcome.stderr).toContain("homelab: terraform is not on PATH: synth skips cdktf's Terraform version check; deploying needs Terraform 1.5 or later");
  expect(existsSync(join(outdir, "stacks", "infra", "cdk.tf.json"))).toBe(true);
});

test("fails when cdktf refuses the stacks while writing them: named as such, not blamed on the config checks", () => {
  const outcome = runSynth({
    configFile: CONFIG,
    // A named stand-in for an unwritable output folder: a path under a regular file.
    outdir: join(__filename, "out"),
    underCdktfCli: false,
    terraformFound: true,
  });
  expect(outcome.exitCode).toBe(1);
  expect(outcome.stderr).toContain("homelab: the stacks could not be written from");
  expect(outcome.stderr).toContain("cdktf refused the stacks while writing them");
  expect(outcome.stderr).not.toContain("bug of homelab's checks");
});

describe("the Terraform version check", () => {
  const STAND_IN = join(FIXTURES, "stand-ins", "terraform");
  const calls = () => join(work, "terraform-calls");
  const buildDefault = () => {
    const app = new App({ outdir: join(work, "unused"), skipValidation: true });
    buildLab(app, loadLab());
    return app;
  };
  afterEach(() => {
    delete process.env.STAND_IN_CALLS;
    delete process.env.STAND_IN_TERRAFORM_VERSION;
    rmSync(calls(), { force: true });
  });

  test("runs terraform once for the whole lab, not once per terraform_data (each VM's generation)", () => {
    process.env.STAND_IN_CALLS = calls();
    const app = buildDefault();
    expect(app.node.findAll().filter((c) => c instanceof DataResource)).toHaveLength(3);
    expect(validateApp(app, STAND_IN)).toEqual([]);
    expect(readFileSync(calls(), "utf8")).toBe("version\n");
  });

  test("fails when Terraform is older than 1.4 (terraform_data), naming the version and the fix", () => {
    process.env.STAND_IN_TERRAFORM_VERSION = "1.3.9";
    expect(validateApp(buildDefault(), STAND_IN)).toEqual([
      `${STAND_IN} 1.3.9 is older than 1.4, which terraform_data needs: upgrade Terraform (deploying needs 1.5 or later)`,
    ]);
  });

  test("fails when the binary cannot run, naming the command", () => {
    const missing = join(work, "no-such-terraform");
    expect(terraformVersionProblem(missing)).toMatch(new RegExp(`^could not determine the version of ${missing} \\(\`${missing} version\` failed: `));
  });

  test("keeps cdktf's other validations: a resource without its provider is refused", () => {
    const app = new App({ outdir: join(work, "unused"), skipValidation: true });
    const stack = new TerraformStack(app, "orphan");
    new Resource(stack, "no-provider");
    process.env.STAND_IN_CALLS = calls();
    expect(validateApp(app, STAND_IN)).toEqual([expect.stringMatching(/^\[orphan\] Found resources without a matching provider construct/)]);
  });
});

test("the agents lab (4 Proxmox nodes, 3 servers, 2 agents) synthesizes: every VM with its snippet, generation and HA", () => {
  const outdir = join(work, "agents");
  const outcome = runSynth({ configFile: join(FIXTURES, "labs", "agents.yaml"), outdir, underCdktfCli: false, terraformFound: false });
  expect(outcome.exitCode).toBe(0);
  const infra = summarizeStacks(outdir).find((s) => s.name === "infra");
  // 4 downloads + 5 snippets + 5 VMs + 5 generations + 5 HA resources + 5 HA rules; outputs: servers,
  // agents, and each VM's generation for the k3s stack (cross-stack).
  expect(infra).toEqual({ name: "infra", resources: 29, dataSources: 0, outputs: 2 + 5 });
});
