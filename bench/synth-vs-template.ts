/**
 * Is our synth as fast as cdktf's own starting point? Builds, in bench/results/template-app
 * (git-ignored, reused between runs), the app `cdktf init --template=typescript` creates — its
 * tsconfig, cdktf.json (`npx ts-node main.ts`) and main.ts from cdktf-cli's bundled template —
 * with one null_resource added, and times it against the default lab.
 *
 *   npx tsx bench/synth-vs-template.ts [--runs 3]
 *
 * The template's dependencies are installed from the npm registry into that directory only (the
 * project does not depend on ts-node). Prints medians; results go to bench/results/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MEMORY_METHOD, machine, repeat, run, table, type Measurement } from "./lib/measure";

const ROOT = join(__dirname, "..");
const RESULTS = join(__dirname, "results");
const APP = join(RESULTS, "template-app");
const TEMPLATE = join(ROOT, "node_modules", "cdktf-cli", "bundle", "templates", "typescript");
const CDKTF_CLI = join(ROOT, "node_modules", ".bin", "cdktf");
const DEFAULT_LAB = join(ROOT, "__tests__", "fixtures", "labs", "default.yaml");

/** cdktf's template installs ts-node unpinned; pinned here so that runs compare like with like. */
// renovate: datasource=npm depName=ts-node
const TS_NODE_VERSION = "10.9.2";

const runsIndex = process.argv.indexOf("--runs");
const runs = runsIndex >= 0 ? Number(process.argv[runsIndex + 1]) : 3;

/** cdktf, constructs, the null provider, TypeScript and Node types at the project's versions. */
function templatePackageJson(): string {
  const project = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const deps = { ...project.dependencies, ...project.devDependencies };
  const pick = (name: string) => {
    if (!deps[name]) throw new Error(`package.json has no ${name}; the template app needs it`);
    return deps[name];
  };
  return `${JSON.stringify(
    {
      name: "template",
      private: true,
      dependencies: {
        cdktf: pick("cdktf"),
        constructs: pick("constructs"),
        "@cdktf/provider-null": pick("@cdktf/provider-null"),
      },
      devDependencies: {
        "@types/node": pick("@types/node"),
        typescript: pick("typescript"),
        "ts-node": TS_NODE_VERSION,
      },
    },
    null,
    2,
  )}\n`;
}

/** The template's main.ts with one resource, as its comment ("define resources here") invites. */
function templateMain(): string {
  const main = readFileSync(join(TEMPLATE, "main.ts"), "utf8");
  const withImports = `import { NullProvider } from "@cdktf/provider-null/lib/provider";\nimport { Resource } from "@cdktf/provider-null/lib/resource";\n${main}`;
  const withResource = withImports.replace(
    "// define resources here",
    'new NullProvider(this, "null");\n    new Resource(this, "single", {});',
  );
  if (withResource === withImports) throw new Error(`${TEMPLATE}/main.ts changed: "// define resources here" not found`);
  return withResource.replace(/\{\{ \$base \}\}/g, "template");
}

function templateCdktfJson(): string {
  return readFileSync(join(TEMPLATE, "cdktf.json"), "utf8")
    .replace("{{projectId}}", "00000000-0000-0000-0000-000000000000")
    .replace("{{sendCrashReports}}", "false")
    .replace("{{futureFlags}}", "");
}

/** Writes the template app; installs its dependencies when they changed. */
function prepareTemplateApp(): void {
  mkdirSync(APP, { recursive: true });
  const pkg = templatePackageJson();
  const pkgFile = join(APP, "package.json");
  const stale = !existsSync(pkgFile) || readFileSync(pkgFile, "utf8") !== pkg || !existsSync(join(APP, "node_modules", ".bin", "ts-node"));
  writeFileSync(join(APP, "main.ts"), templateMain());
  writeFileSync(join(APP, "cdktf.json"), templateCdktfJson());
  writeFileSync(join(APP, "tsconfig.json"), readFileSync(join(TEMPLATE, "tsconfig.json"), "utf8"));
  if (stale) {
    writeFileSync(pkgFile, pkg);
    process.stderr.write(`installing the template app's dependencies in ${APP}…\n`);
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: APP });
  }
  // ts-node's incremental build info would make the first run slower than the others.
  rmSync(join(APP, "tsconfig.tsbuildinfo"), { force: true });
}

interface Case {
  readonly name: string;
  readonly command: string;
  readonly once: (outdir: string) => Measurement;
}

/** Telemetry and update checks off: the CLI must not wait on the network. */
const QUIET = { CHECKPOINT_DISABLE: "1", CDKTF_DISABLE_LOGGING: "true", CI: "1" };

function main(): void {
  prepareTemplateApp();
  const work = mkdtempSync(join(tmpdir(), "homelab-bench-template-"));
  const lab = { HOMELAB_CONFIG: DEFAULT_LAB };
  // What `cdktf synth` runs for the lab, alone: the CLI's own cost is the difference.
  const [appCommand, ...appArgs] = (JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")).app as string).split(/\s+/);
  const cases: Case[] = [
    {
      name: "cdktf template, 1 null_resource",
      command: "npx ts-node main.ts",
      once: (out) => run("npx", ["ts-node", "main.ts"], { cwd: APP, env: { ...QUIET, CDKTF_OUTDIR: out } }),
    },
    {
      name: "cdktf template, 1 null_resource",
      command: "npx cdktf synth",
      once: (out) => run(CDKTF_CLI, ["synth", "--output", out], { cwd: APP, env: QUIET, allowFailure: true }),
    },
    {
      name: "homelab default lab (3 stacks)",
      command: "npx cdktf synth",
      once: (out) => run("npx", ["cdktf", "synth", "--output", out], { cwd: ROOT, env: { ...QUIET, ...lab }, allowFailure: true }),
    },
    {
      name: "homelab default lab (3 stacks)",
      command: `${[appCommand, ...appArgs].join(" ")} (cdktf.json app)`,
      once: (out) => run(appCommand, appArgs, { cwd: ROOT, env: { ...QUIET, ...lab, CDKTF_OUTDIR: out } }),
    },
    {
      name: "homelab default lab (3 stacks)",
      command: "npm run synth",
      once: (out) => run("npm", ["run", "--silent", "synth"], { cwd: ROOT, env: { ...QUIET, ...lab, CDKTF_OUTDIR: out } }),
    },
  ];
  const rows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const c of cases) {
      let i = 0;
      let failure = "";
      const r = repeat(runs, () => {
        const m = c.once(join(work, `${rows.length}-${i++}`));
        if (m.status !== 0) failure = (m.stderr || m.stdout).trim().split("\n").slice(-3).join(" ⏎ ");
        return m;
      });
      process.stderr.write(`${c.name} via ${c.command}: ${r.runs.map((s) => s.toFixed(2)).join(" s, ")} s${failure ? ` (FAILED: ${failure})` : ""}\n`);
      rows.push([
        c.name,
        c.command,
        failure ? "failed" : r.seconds.toFixed(2),
        r.cpuSeconds.toFixed(2),
        r.peakMiB.toFixed(0),
        r.runs.map((s) => s.toFixed(2)).join(" "),
      ]);
      results.push({ name: c.name, command: c.command, medianSeconds: r.seconds, medianCpuSeconds: r.cpuSeconds, peakMiB: r.peakMiB, runs: r.runs, failure });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const report = [
    `Synth vs cdktf's TypeScript template (${runs} runs each, median; memory: ${MEMORY_METHOD})`,
    machine(),
    "",
    table(["app", "command", "median s", "CPU s", "peak MiB", "runs s"], rows),
  ].join("\n");
  console.log(report);
  writeFileSync(join(RESULTS, "synth-vs-template.md"), `${report}\n`);
  writeFileSync(join(RESULTS, "synth-vs-template.json"), `${JSON.stringify({ machine: machine(), runs, results }, null, 2)}\n`);
}

main();
