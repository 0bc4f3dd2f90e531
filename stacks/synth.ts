/**
 * Synth as a function of its inputs, so that tests run it in-process; main.ts only wires it to the
 * process (environment, stdout/stderr, exit code). The config is refused before anything is built;
 * an error raised while building the stacks becomes `homelab:` lines, never a stack trace.
 */
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { App, DataResource } from "cdktf";
import { formatProblems, loadLabFile } from "../config/load";
import type { LabConfig } from "../config/schema";
import { AllowDestroyError, type AllowDestroy } from "../constructs/data-guard";
import { buildLab } from "./lab";

export interface SynthInvocation {
  /** HOMELAB_CONFIG, or homelab.yaml when unset. */
  readonly configFile: string;
  /** Where the stacks go (cdktf.out, or CDKTF_OUTDIR). */
  readonly outdir: string;
  /** True when the cdktf CLI runs the app (cdktf synth/deploy): it prints its own progress. */
  readonly underCdktfCli: boolean;
  /** Print the stack trace of an unexpected error (HOMELAB_DEBUG=1). */
  readonly debug?: boolean;
  /**
   * Whether `terraform` is on PATH: cdktf then checks its version (terraform_data needs 1.4+).
   * Without it synth still works, with a warning: only deploying needs Terraform.
   */
  readonly terraformFound: boolean;
  /** Destroy guards to lift (HOMELAB_ALLOW_DESTROY; see docs/teardown.md). @default none */
  readonly allowDestroy?: AllowDestroy;
  /** What builds the stacks into the app; returns the names of the guards it lifted. @default buildLab */
  readonly build?: (app: App, lab: LabConfig) => readonly string[] | void;
}

export interface SynthOutcome {
  readonly exitCode: 0 | 1;
  readonly stdout: string;
  readonly stderr: string;
}

/** What one synthesized stack holds. */
export interface StackSummary {
  readonly name: string;
  readonly resources: number;
  readonly dataSources: number;
  readonly outputs: number;
}

/** Counts of the stacks cdktf wrote into `outdir` (read back from its manifest and JSON). */
export function summarizeStacks(outdir: string): StackSummary[] {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { synthesizedStackPath: string }>;
  };
  const count = (blocks: Record<string, Record<string, unknown>> | undefined) =>
    Object.values(blocks ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
  return Object.entries(manifest.stacks).map(([name, stack]) => {
    const json = JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8"));
    return { name, resources: count(json.resource), dataSources: count(json.data), outputs: Object.keys(json.output ?? {}).length };
  });
}

/** The oldest Terraform with terraform_data (cdktf's DataResource), the version cdktf itself checks for it. */
export const MIN_TERRAFORM = { major: 1, minor: 4 } as const;

/** What is wrong with the Terraform that `binary version` reports, or undefined when it is recent enough. */
export function terraformVersionProblem(binary: string): string | undefined {
  let text: string;
  try {
    text = execFileSync(binary, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: process.env });
  } catch (e) {
    return `could not determine the version of ${binary} (\`${binary} version\` failed: ${(e as Error).message.split("\n")[0]})`;
  }
  const found = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!found) return `could not determine the version of ${binary} from \`${binary} version\`: ${text.split("\n")[0]}`;
  const [major, minor] = [Number(found[1]), Number(found[2])];
  if (major > MIN_TERRAFORM.major || (major === MIN_TERRAFORM.major && minor >= MIN_TERRAFORM.minor)) return undefined;
  return `${binary} ${found[0]} is older than ${MIN_TERRAFORM.major}.${MIN_TERRAFORM.minor}, which terraform_data needs: upgrade Terraform (deploying needs 1.5 or later)`;
}

/**
 * cdktf's validations, with the Terraform version checked once. cdktf gives every terraform_data
 * resource its own check that runs `terraform version`: one process per VM (each VM's generation),
 * 34 of the 39 s of a 301-VM synth (bench/synth-scale.ts). Here the binary runs once for the whole
 * app, then every construct's other validations run as cdktf runs them (provider presence per
 * stack…); a DataResource carries no validation but that version check. Returns
 * `[construct path] message` lines.
 */
export function validateApp(app: App, terraformBinary = process.env.TERRAFORM_BINARY_NAME || "terraform"): string[] {
  const version = terraformVersionProblem(terraformBinary);
  const errors = version ? [version] : [];
  for (const construct of app.node.findAll()) {
    if (construct instanceof DataResource) continue;
    errors.push(...construct.node.validate().map((message) => `[${construct.node.path}] ${message}`));
  }
  return errors;
}

/** Where synth failed: building the constructs (a refusal the config checks missed), or writing them. */
export class SynthError extends Error {
  constructor(
    readonly phase: "build" | "write",
    readonly cause: Error,
  ) {
    super(cause.message);
  }
}

/**
 * Builds the three stacks of a validated lab and writes them into `outdir`; returns the names of
 * the destroy guards lifted. Without `validate`, cdktf's own checks (the Terraform version that
 * terraform_data needs) are skipped: they run `terraform version`, which a machine that only
 * synthesizes does not need.
 */
export function synthesizeLab(
  lab: LabConfig,
  outdir: string,
  build: (app: App, lab: LabConfig) => readonly string[] | void = (app, l) => buildLab(app, l).destroyAllowed,
  validate = true,
): readonly string[] {
  // cdktf's own validation pass is replaced by validateApp (same checks, Terraform asked once).
  const app = new App({ outdir, skipValidation: true });
  let lifted: readonly string[];
  try {
    lifted = build(app, lab) ?? [];
  } catch (e) {
    if (e instanceof AllowDestroyError) throw e;
    throw new SynthError("build", e instanceof Error ? e : new Error(String(e)));
  }
  try {
    if (validate) {
      const errors = validateApp(app);
      if (errors.length > 0) throw new Error(`validation failed:\n  ${errors.join("\n  ")}`);
    }
    app.synth();
  } catch (e) {
    throw new SynthError("write", e instanceof Error ? e : new Error(String(e)));
  }
  return lifted;
}

function summary(configFile: string, outdir: string, stacks: readonly StackSummary[], warnings: number): string {
  const width = Math.max(...stacks.map((s) => s.name.length));
  const inside = relative(process.cwd(), resolve(outdir));
  const folder = inside.startsWith("..") ? resolve(outdir) : inside || ".";
  const lines = [`homelab: synthesized ${configFile} into ${folder}/`];
  for (const s of stacks) {
    const extra = [s.dataSources ? `${s.dataSources} data source${s.dataSources === 1 ? "" : "s"}` : "", `${s.outputs} output${s.outputs === 1 ? "" : "s"}`]
      .filter(Boolean)
      .join(", ");
    lines.push(`  ${s.name.padEnd(width)}  ${String(s.resources).padStart(3)} resources  (${extra})`);
  }
  if (warnings > 0) lines.push(`${warnings} warning${warnings === 1 ? "" : "s"} (printed above): read them before you deploy`);
  const tfc = stacks.some((st) => st.name === "tfc") ? "npx cdktf deploy tfc (Terraform Cloud's workspaces and agent pool, once), then " : "";
  lines.push(`next: npm run doctor (the plan), then ${tfc}npm run deploy (cdktf deploy infra k3s platform, then the state copied to the Pi)`);
  return lines.join("\n") + "\n";
}

export function runSynth(invocation: SynthInvocation): SynthOutcome {
  const { configFile, outdir } = invocation;
  const result = loadLabFile(configFile);
  if (!result.ok) {
    return {
      exitCode: 1,
      stdout: "",
      stderr: `homelab: ${configFile} is not valid, nothing was synthesized:\n${formatProblems(result.problems)}\n`,
    };
  }
  let warnings = result.warnings.length ? formatProblems(result.warnings) + "\n" : "";
  const allowDestroy = invocation.allowDestroy ?? [];
  const build = invocation.build ?? ((app: App, lab: LabConfig) => buildLab(app, lab, { allowDestroy }).destroyAllowed);
  if (!invocation.terraformFound) {
    warnings += "homelab: terraform is not on PATH: synth skips cdktf's Terraform version check; deploying needs Terraform 1.5 or later\n";
  }
  try {
    const lifted = synthesizeLab(result.lab, outdir, build, invocation.terraformFound);
    if (lifted.length) {
      warnings += `homelab: HOMELAB_ALLOW_DESTROY lifts the destroy guard of ${lifted.join(", ")}: this run may destroy them\n`;
    }
  } catch (e) {
    if (e instanceof AllowDestroyError) return { exitCode: 1, stdout: "", stderr: `${warnings}homelab: ${e.message}\n` };
    const failure = e instanceof SynthError ? e : new SynthError("write", e instanceof Error ? e : new Error(String(e)));
    const where = invocation.debug ? `${failure.cause.stack}\n` : "homelab: set HOMELAB_DEBUG=1 to see where it was raised\n";
    const explanation =
      failure.phase === "build"
        ? "homelab: the config checks accepted a value that a construct refuses, which is a bug of homelab's checks: " +
          "`npm run doctor` shows the plan; please report this message with the config value it names\n"
        : "homelab: cdktf refused the stacks while writing them (its checks, such as the Terraform version, or the output folder): " +
          "fix what the message names, then run synth again\n";
    return {
      exitCode: 1,
      stdout: "",
      stderr: `${warnings}homelab: the stacks could not be ${failure.phase === "build" ? "built" : "written"} from ${configFile}: ${failure.message.trim()}\n${explanation}${where}`,
    };
  }
  if (invocation.underCdktfCli) return { exitCode: 0, stdout: "", stderr: warnings };
  return { exitCode: 0, stdout: summary(configFile, outdir, summarizeStacks(outdir), warnings.split("\n").filter((line) => line !== "").length), stderr: warnings };
}
