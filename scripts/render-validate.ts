/**
 * `npm run render -- [options]`: renders every Helm release of a synthesized platform stack with
 * the real Helm (scripts/lib/helm.ts) and validates every rendered object (built-in kinds with
 * `kubernetes-models`, custom resources against their CRD schemas: __tests__/fixtures/crds, plus
 * the CRDs the rendered charts themselves ship).
 *
 *   --stack <dir>         a synthesized stack folder (repeatable) @default cdktf.out/stacks/platform
 *   --charts <dir>        folder of pulled upstream charts; with it, every release must render
 *   --pull                first `helm pull` each upstream chart missing from --charts (online)
 *   --kube-version <v>    Kubernetes version Helm renders for @default the lab config's K3s version
 *   --crds <dir>          CRD schema fixtures @default __tests__/fixtures/crds
 *   --json                print the report (with every rendered object) as JSON
 *
 * Without --charts only the repo's own charts (stack assets) render; the upstream releases are
 * listed by name as not rendered. Exit 1 when an object is invalid, a chart fails to render or
 * (with --charts) a release could not be rendered; 2 on a wrong command line.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CrdSchemas } from "./lib/crd-schema";
import { findHelm, helmEnv, helmVersionOf } from "./lib/helm";
import { chartName, helmReleasesOf, isLocalChart, locateChart, mapLimit, pullArgs, renderRelease, type HelmReleaseSpec } from "./lib/render";
import { ObjectValidator, loadCrdFixtures } from "./lib/validate-objects";

const REPO_ROOT = join(__dirname, "..");
export const DEFAULT_CRDS_DIR = join(REPO_ROOT, "__tests__", "fixtures", "crds");
/** helm template processes at a time (each mostly waits on its own start-up). */
const RENDER_CONCURRENCY = 4;

export interface Options {
  readonly stacks: readonly string[];
  readonly chartsDir?: string;
  readonly pull: boolean;
  readonly kubeVersion?: string;
  readonly crdsDir: string;
  readonly json: boolean;
}

type Json = Record<string, any>;

export interface ReleaseReport {
  readonly name: string;
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  /** `rendered` (every object valid), `invalid`, `failed` (Helm refused) or `not-rendered`. */
  readonly status: "rendered" | "invalid" | "failed" | "not-rendered";
  readonly reason?: string;
  readonly objects: readonly { readonly source: string; readonly object: Json; readonly problems: readonly string[] }[];
}

export interface StackReport {
  readonly stack: string;
  readonly releases: readonly ReleaseReport[];
}

export interface Report {
  readonly helm: string;
  readonly kubeVersion: string;
  readonly stacks: readonly StackReport[];
  readonly ok: boolean;
}

export function parseArgs(args: readonly string[]): Options | { error: string } {
  const stacks: string[] = [];
  let chartsDir: string | undefined;
  let kubeVersion: string | undefined;
  let crdsDir = DEFAULT_CRDS_DIR;
  let pull = false;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === "--stack") stacks.push(value());
      else if (arg === "--charts") chartsDir = value();
      else if (arg === "--kube-version") kubeVersion = value();
      else if (arg === "--crds") crdsDir = value();
      else if (arg === "--pull") pull = true;
      else if (arg === "--json") json = true;
      else return { error: `unknown option ${arg}` };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  if (pull && chartsDir === undefined) return { error: "--pull needs --charts <dir> (where the charts go)" };
  return { stacks: stacks.length ? stacks : [join("cdktf.out", "stacks", "platform")], chartsDir, pull, kubeVersion, crdsDir, json };
}

/** The lab's K3s version as Helm wants it (`v1.35.8+k3s1` → `1.35.8`). */
function labKubeVersion(): string {
  // Loaded only when needed: the config schema is most of this script's start-up time.
  const { formatProblems, loadLabFile } = require("../config/load") as typeof import("../config/load");
  const file = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
  const loaded = loadLabFile(file);
  if (!loaded.ok) throw new Error(`${file} is not a valid lab config (or pass --kube-version):\n${formatProblems(loaded.problems)}`);
  return loaded.lab.k3s.version.replace(/^v/, "").replace(/\+.*$/, "");
}

function objectName(o: Json, namespace: string): string {
  const ns = o.metadata?.namespace ?? (o.kind === "CustomResourceDefinition" ? undefined : namespace);
  return `${o.kind} ${ns ? `${ns}/` : ""}${o.metadata?.name}`;
}

/** Renders and validates every release of every stack. */
export async function renderAndValidate(options: Options, helm = findHelm()): Promise<Report> {
  const kubeVersion = options.kubeVersion ?? labKubeVersion();
  const crds: CrdSchemas = loadCrdFixtures(options.crdsDir);
  const validator = new ObjectValidator(crds);
  // Render every stack first: the CRDs the charts ship join the schemas before anything is checked.
  const renderedStacks = [];
  for (const stack of options.stacks) {
    const file = join(stack, "cdk.tf.json");
    if (!existsSync(file)) throw new Error(`${file} not found: run \`npm run synth\` first (or pass --stack <dir>)`);
    const releases = helmReleasesOf(JSON.parse(readFileSync(file, "utf8")) as Json);
    const pullErrors = options.pull && options.chartsDir !== undefined ? pullMissing(helm, releases, stack, options.chartsDir) : new Map<string, string>();
    const rendered = await mapLimit(releases, RENDER_CONCURRENCY, async (r) => {
      const where = locateChart(r, stack, options.chartsDir);
      if ("missing" in where) {
        const pullError = pullErrors.get(r.name);
        return { r, status: "not-rendered" as const, reason: pullError ? `helm pull failed: ${pullError}` : where.missing, objects: [] };
      }
      try {
        const objects = await renderRelease(helm, r, where.path, kubeVersion);
        for (const { object } of objects) if (object.kind === "CustomResourceDefinition") crds.addCrd(object, `release ${r.name}`);
        return { r, status: "rendered" as const, objects };
      } catch (error) {
        return { r, status: "failed" as const, reason: (error as Error).message, objects: [] };
      }
    });
    renderedStacks.push({ stack, rendered });
  }

  const stacks: StackReport[] = [];
  for (const { stack, rendered } of renderedStacks) {
    const reports: ReleaseReport[] = [];
    for (const { r, status, reason, objects } of rendered) {
      const checked = [];
      for (const o of objects) checked.push({ ...o, problems: await validator.validate(o.object) });
      const invalid = checked.some((o) => o.problems.length > 0);
      reports.push({
        name: r.name,
        chart: isLocalChart(r) ? "(local)" : chartName(r),
        version: r.version,
        namespace: r.namespace,
        status: invalid ? "invalid" : status,
        ...(reason ? { reason } : {}),
        objects: checked,
      });
    }
    stacks.push({ stack, releases: reports });
  }
  const strict = options.chartsDir !== undefined;
  const ok = stacks.every((s) => s.releases.every((r) => r.status === "rendered" || (r.status === "not-rendered" && !strict)));
  return { helm: helmVersionOf(helm), kubeVersion, stacks, ok };
}

/**
 * `helm pull` of every upstream chart not yet in the folder; a failed pull is returned (release
 * name → Helm's message) so that the release is reported, and the others still render.
 */
function pullMissing(helm: string, releases: readonly HelmReleaseSpec[], stack: string, chartsDir: string): Map<string, string> {
  mkdirSync(chartsDir, { recursive: true });
  const errors = new Map<string, string>();
  for (const r of releases) {
    if (isLocalChart(r) || !("missing" in locateChart(r, stack, chartsDir))) continue;
    process.stderr.write(`helm ${pullArgs(r, chartsDir).join(" ")}\n`);
    try {
      // Helm's output goes to stderr: stdout is the report (JSON with --json).
      execFileSync(helm, pullArgs(r, chartsDir), { stdio: ["ignore", 2, "pipe"], env: helmEnv(), encoding: "utf8" });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
      errors.set(r.name, stderr.split("\n").filter((l) => l.trim() !== "").join("; ") || (error as Error).message);
    }
  }
  return errors;
}

/** The human report: one line per release, the problems under it, and the names not rendered. */
export function formatReport(report: Report, strict: boolean): string {
  const lines: string[] = [];
  for (const s of report.stacks) {
    lines.push(`${s.stack}: ${s.releases.length} Helm releases, rendered with helm ${report.helm} for Kubernetes ${report.kubeVersion}`);
    for (const r of s.releases) {
      const what = `${r.name} (${r.chart === "(local)" ? "local chart" : r.chart} ${r.version})`;
      if (r.status === "rendered") lines.push(`  ok            ${what}: ${r.objects.length} object${r.objects.length === 1 ? "" : "s"} valid`);
      else if (r.status === "failed") lines.push(`  FAILED        ${what}: helm template: ${r.reason}`);
      else if (r.status === "not-rendered") lines.push(`  ${strict ? "NOT RENDERED " : "not rendered "} ${what}: ${r.reason}`);
      else {
        lines.push(`  INVALID       ${what}`);
        for (const o of r.objects) for (const p of o.problems) lines.push(`      ${objectName(o.object, r.namespace)} (${o.source}): ${p}`);
      }
    }
    const notRendered = s.releases.filter((r) => r.status === "not-rendered").map((r) => r.name);
    const rendered = s.releases.filter((r) => r.status === "rendered" || r.status === "invalid");
    const failed = s.releases.filter((r) => r.status === "failed").length;
    const objects = rendered.reduce((n, r) => n + r.objects.length, 0);
    const invalid = rendered.reduce((n, r) => n + r.objects.filter((o) => o.problems.length > 0).length, 0);
    lines.push(
      `  ${rendered.length} rendered (${objects} objects, ${invalid} invalid), ${failed} failed, ${notRendered.length} not rendered${notRendered.length ? `: ${notRendered.join(", ")}` : ""}`,
    );
  }
  lines.push(report.ok ? "OK" : "FAILED");
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if ("error" in options) {
    process.stderr.write(`render-validate: ${options.error}\nusage: tsx scripts/render-validate.ts [--stack <dir>]... [--charts <dir> [--pull]] [--kube-version <v>] [--crds <dir>] [--json]\n`);
    process.exitCode = 2;
    return;
  }
  const resolved = { ...options, stacks: options.stacks.map((s) => resolve(s)), chartsDir: options.chartsDir && resolve(options.chartsDir) };
  try {
    const report = await renderAndValidate(resolved);
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatReport(report, resolved.chartsDir !== undefined));
    process.exitCode = report.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`render-validate: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
