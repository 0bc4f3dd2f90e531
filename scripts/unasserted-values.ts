/**
 * `npm run test:unasserted`: which values of the default lab does no test assert, except a
 * snapshot (which `jest -u` accepts)?
 *
 * 1. Runs the Jest suite once with HOMELAB_RECORD_READS set: the synthesized JSON tests parse
 *    becomes recording proxies that log every leaf a test or a matcher reads
 *    (__tests__/support/read-recorder.ts), snapshot matchers excepted.
 * 2. Synthesizes the default lab fixture and builds the doctor's plan of it, and lists every
 *    leaf in the same path form (__tests__/support/read-paths.ts).
 * 3. Prints the leaves nobody reads, grouped by construct, after setting aside the kinds judged
 *    not worth an assertion (NOT_WORTH below, each with its reason).
 *
 * Options: `--reads <folder>` reuses the reads of an earlier run instead of running Jest;
 * `--keep <folder>` writes this run's reads there; `--all` also lists the set-aside leaves.
 *
 * A read is not yet an assertion: a test can compare a value with the production table it came
 * from. `--mutate <file> --tests <test files…>` finds those: it changes one literal of the file
 * at a time (a number +1, Math.round/floor/ceil swapped, < and <= swapped), runs the given tests
 * with snapshot matchers passing (HOMELAB_SNAPSHOTS_OFF), and lists the changes no test noticed. Restores the file after
 * each run. One Jest run per literal: keep the file and the tests few.
 *
 * A development aid, not part of `npm test` (it runs the whole suite, slower, under proxies).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import * as ts from "typescript";
import { diagnoseYaml } from "../doctor/diagnose";
import { buildPlan } from "../doctor/plan";
import { renderPlan } from "../doctor/render";
import { buildLab } from "../stacks/lab";
import { leafPaths, lineKey, linePath, segmentFor } from "../__tests__/support/read-paths";
import { FIXTURES, loadLab } from "../__tests__/helpers";

const ROOT = join(__dirname, "..");

/** Leaves that need no targeted assertion, and why. First match wins. */
const NOT_WORTH: { readonly reason: string; readonly pattern: RegExp }[] = [
  {
    reason: "wiring cdktf generates (cross-stack outputs, the remote state's backend and workspace)",
    pattern: /^tf\.(output\.cross-stack-output-|data\.terraform_remote_state\.\*\.(backend|workspace)$)/,
  },
  {
    reason: "text for people: descriptions, comments, validation messages, Gitea's site title, comments in the Alloy pipeline",
    pattern: /\.(description|comment|error_message)$|gitea\.config\.APP_NAME$|#\/\//,
  },
  {
    reason: "the doctor's headings and column titles",
    pattern: /^doctor-text#(homelab doctor:|Addresses in |ADDRESS |URL |URLs$|Proxmox nodes \(|Kubernetes servers \(|Platform components \(|Platform requests on |If one Proxmox node|Problems$)/,
  },
  { reason: "array positions repeated as fields in the doctor's JSON", pattern: /^doctor\..*\.index$/ },
  { reason: "labels that only tell a person who made the object", pattern: /\.labels\.app\.kubernetes\.io\/managed-by$/ },
  {
    reason: "River's nesting keywords in the Alloy pipeline (rule {, selectors {, endpoint {): what they hold is asserted",
    pattern: /\.configMap\.content#(rule|selectors|endpoint) \{$/,
  },
];

interface Leaf {
  readonly path: string;
  readonly group: string;
}

interface Options {
  readonly reads?: string;
  readonly keep?: string;
  readonly all: boolean;
  readonly mutate?: string;
  readonly tests: string[];
}

function args(): Options {
  const argv = process.argv.slice(2);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const tests: string[] = [];
  for (let i = argv.indexOf("--tests") + 1; i > 0 && i < argv.length && !argv[i].startsWith("--"); i++) tests.push(argv[i]);
  return { reads: value("--reads"), keep: value("--keep"), all: argv.includes("--all"), mutate: value("--mutate"), tests };
}

interface Mutant {
  readonly line: number;
  readonly from: string;
  readonly to: string;
  readonly start: number;
  readonly end: number;
}

const SWAPS: Record<string, string> = { round: "floor", floor: "ceil", ceil: "floor", "<": "<=", "<=": "<", ">": ">=", ">=": ">" };

/** One mutant per number literal, rounding call and ordering comparison of a TypeScript file. */
function mutantsOf(file: string, source: string): Mutant[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
  const out: Mutant[] = [];
  const add = (node: ts.Node, from: string, to: string, start = node.getStart(tree), end = node.getEnd()) =>
    out.push({ line: tree.getLineAndCharacterOfPosition(start).line + 1, from, to, start, end });
  const visit = (node: ts.Node): void => {
    if (ts.isNumericLiteral(node)) add(node, node.text, String(Number(node.text) + 1));
    if (ts.isPropertyAccessExpression(node) && node.expression.getText(tree) === "Math" && SWAPS[node.name.text]) {
      add(node.name, node.name.text, SWAPS[node.name.text]);
    }
    if (ts.isBinaryExpression(node) && SWAPS[node.operatorToken.getText(tree)]) {
      add(node.operatorToken, node.operatorToken.getText(tree), SWAPS[node.operatorToken.getText(tree)]);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return out;
}

/** Runs the tests once per mutant of `file`; prints the mutants they let through. */
function mutate(file: string, tests: string[]): void {
  if (tests.length === 0) throw new Error("--mutate needs --tests <test files…>: the tests that should notice a changed value");
  const path = join(ROOT, file);
  const original = readFileSync(path, "utf8");
  const restore = () => writeFileSync(path, original);
  const jest = require.resolve("jest/bin/jest");
  const report = join(mkdtempSync(join(tmpdir(), "mutants-")), "jest.json");
  // Failed tests, read from Jest's JSON report: its exit code also counts snapshots left obsolete
  // by HOMELAB_SNAPSHOTS_OFF. Undefined when Jest was interrupted. In band: no worker processes
  // (none left behind by --bail), one core of a shared machine.
  const failedTests = (): number | undefined => {
    rmSync(report, { force: true });
    const run = spawnSync(process.execPath, [jest, "--ci", "--silent", "--bail", "--runInBand", "--json", `--outputFile=${report}`, ...tests], {
      cwd: ROOT,
      env: { ...process.env, HOMELAB_SNAPSHOTS_OFF: "1" },
      stdio: "ignore",
    });
    if (run.signal !== null) return undefined;
    // --bail ends Jest at the first failing file, before it writes the report.
    if (!existsSync(report)) return run.status === 0 ? 0 : 1;
    const result = JSON.parse(readFileSync(report, "utf8")) as { numFailedTests: number; numRuntimeErrorTestSuites: number };
    return result.numFailedTests + result.numRuntimeErrorTestSuites;
  };
  if (failedTests() !== 0) throw new Error(`the tests fail before any change: fix them first (${tests.join(" ")})`);
  const survivors: Mutant[] = [];
  const mutants = mutantsOf(file, original);
  let tried = 0;
  // Ctrl-C must not end this process while a mutant is on disk: Jest gets it and stops, then we restore.
  process.on("SIGINT", () => undefined);
  for (const m of mutants) {
    writeFileSync(path, original.slice(0, m.start) + m.to + original.slice(m.end));
    let interrupted = false;
    try {
      const failed = failedTests();
      // Ctrl-C reaches Jest too: stop at once, the file restored.
      interrupted = failed === undefined;
      const caught = (failed ?? 0) > 0;
      if (!interrupted) tried++;
      if (!interrupted && !caught) survivors.push(m);
      console.error(`${tried}/${mutants.length} ${file}:${m.line} ${m.from} -> ${m.to}: ${interrupted ? "interrupted" : caught ? "caught" : "SURVIVED"}`);
    } finally {
      restore();
    }
    if (interrupted) break;
  }
  console.log(`\n${file}: ${tried} of ${mutants.length} mutants tried, ${tried - survivors.length} caught, ${survivors.length} survived`);
  for (const m of survivors) console.log(`  ${file}:${m.line}  ${m.from} -> ${m.to}   ${original.split("\n")[m.line - 1].trim()}`);
}

function runJest(folder: string): void {
  const jest = require.resolve("jest/bin/jest");
  const run = spawnSync(process.execPath, [jest, "--silent", "--ci"], {
    cwd: ROOT,
    env: { ...process.env, HOMELAB_RECORD_READS: folder },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.status !== 0) console.error("unasserted-values: the suite failed under recording; the reads below may be incomplete");
}

function readsIn(folder: string): Set<string> {
  const reads = new Set<string>();
  for (const file of readdirSync(folder).filter((f) => f.endsWith(".json"))) {
    for (const path of (JSON.parse(readFileSync(join(folder, file), "utf8")) as { reads: string[] }).reads) reads.add(path);
  }
  return reads;
}

/** The default lab's leaves, each with the construct it belongs to (`platform/vaultwarden`). */
function labLeaves(): Leaf[] {
  const app = Testing.app({ outdir: mkdtempSync(join(tmpdir(), "unasserted-")) });
  buildLab(app, loadLab());
  app.synth();
  const leaves: Leaf[] = [];
  for (const stack of ["infra", "k3s", "platform"]) {
    const doc = JSON.parse(readFileSync(join(app.outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
    for (const [block, content] of Object.entries<any>(doc)) {
      if (block === "//") continue;
      if (block !== "resource" && block !== "data") {
        for (const path of leafPaths(content, "tf", [block])) leaves.push({ path, group: `${stack} ${block}` });
        continue;
      }
      for (const [type, byId] of Object.entries<any>(content)) {
        for (const [id, resource] of Object.entries<any>(byId)) {
          const construct = String(resource["//"]?.metadata?.path ?? `${stack}/${id}`).split("/").slice(0, 2).join("/");
          const start = [block, type, segmentFor("tf", [block, type], id, resource)];
          for (const path of leafPaths(resource, "tf", start)) leaves.push({ path, group: construct });
        }
      }
    }
  }
  rmSync(app.outdir, { recursive: true, force: true });
  const text = readFileSync(join(FIXTURES, "labs", "default.yaml"), "utf8");
  const plan = buildPlan("homelab.yaml", diagnoseYaml(text, "homelab.yaml"));
  for (const [section, content] of Object.entries<unknown>(JSON.parse(JSON.stringify(plan)))) {
    for (const path of leafPaths(content, "doctor", [section])) leaves.push({ path, group: `doctor ${section}` });
  }
  // The terminal text, line by line, as plan.test.ts records it.
  for (const line of renderPlan(plan).split("\n")) {
    const key = lineKey(line);
    if (key !== undefined) leaves.push({ path: linePath("doctor-text", key), group: "doctor text" });
  }
  // One leaf per path: three VMs collapse to one `*` path, and so do their leaves.
  const byPath = new Map<string, Leaf>();
  for (const leaf of leaves) if (!byPath.has(leaf.path)) byPath.set(leaf.path, leaf);
  return [...byPath.values()];
}

function main(): void {
  const options = args();
  if (options.mutate) return mutate(options.mutate, options.tests);
  let folder = options.reads;
  if (!folder) {
    folder = options.keep ?? mkdtempSync(join(tmpdir(), "reads-"));
    runJest(folder);
  }
  const reads = readsIn(folder);
  if (!options.reads && !options.keep) rmSync(folder, { recursive: true, force: true });

  const leaves = labLeaves();
  const read = leaves.filter((l) => reads.has(l.path));
  const unread = leaves.filter((l) => !reads.has(l.path));
  const setAside = new Map<string, Leaf[]>();
  const open: Leaf[] = [];
  for (const leaf of unread) {
    const rule = NOT_WORTH.find((r) => r.pattern.test(leaf.path));
    if (rule) setAside.set(rule.reason, [...(setAside.get(rule.reason) ?? []), leaf]);
    else open.push(leaf);
  }

  const groups = new Map<string, string[]>();
  for (const leaf of open) groups.set(leaf.group, [...(groups.get(leaf.group) ?? []), leaf.path]);
  for (const [group, paths] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`\n${group} (${paths.length})`);
    for (const path of paths.sort()) console.log(`  ${path}`);
  }
  if (options.all) {
    for (const [reason, set] of setAside) {
      console.log(`\nset aside: ${reason} (${set.length})`);
      for (const leaf of set) console.log(`  ${leaf.path}`);
    }
  }
  console.log(`\nleaves of the default lab and its plan: ${leaves.length}`);
  console.log(`read by a test other than a snapshot: ${read.length}`);
  for (const [reason, set] of setAside) console.log(`set aside (${reason}): ${set.length}`);
  console.log(`unasserted: ${open.length}`);
}

main();
