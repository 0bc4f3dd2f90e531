/**
 * Derives the values-key fixtures (`npm run chart-keys`): for every pinned upstream chart in
 * <charts-dir>/<chart>/<version>/, the key paths its values accept and their types, written to
 * __tests__/fixtures/chart-keys/<chart>-<version>.json. Only paths and type names are written:
 * no default value, comment or description leaves the upstream files.
 *
 * Sources, merged per path:
 * - values.yaml: every key of the defaults. `{}` is a free-form map (labels, resources); a
 *   mapping whose keys contain `.` or `/` is one too (`kubernetes.io/os: linux`); null is `null`
 *   (its shape is unknown, so alone it accepts children); arrays are leaves.
 * - values.schema.json (with `$ref`s into the same file, sibling files such as bjw-s
 *   `schemas/*.json`, and the bjw-s common schema URL mapped to its local copy): `properties`
 *   are listed; an object without properties, `additionalProperties: true` (below the root) or a
 *   property-less `additionalProperties` schema is a map; an `additionalProperties` or
 *   `patternProperties` schema with properties adds a `*` level; `allOf`/`anyOf`/`oneOf` merge.
 *   An object with `properties` but no `additionalProperties: false` is still treated as closed:
 *   the point is to catch typos, and Helm reads only what its templates name.
 * - Chart.yaml dependencies: a subchart found next to this chart (same name and version) lends
 *   its keys under its alias; a library chart lends them at the root; any other subchart's key
 *   is typed `subchart` (its values are not captured, children are not checked).
 *
 * Usage: npm run chart-keys -- <folder of pinned chart defaults>
 * (a folder of <chart>/<version>/{Chart.yaml,values.yaml,values.schema.json}; there is no default:
 * the charts' defaults are reference data outside the repository).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import type { ChartKeys } from "../__tests__/support/chart-keys";

const OUT_DIR = join(__dirname, "..", "__tests__", "fixtures", "chart-keys");
const MAX_DEPTH = 40;

type Types = Map<string, Set<string>>;
type Json = Record<string, any>;

function add(types: Types, path: string[], type: string): void {
  const key = path.join(".");
  if (key === "") return;
  const set = types.get(key) ?? new Set<string>();
  set.add(type);
  types.set(key, set);
}

function isMapping(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" || typeof value === "bigint") return "number";
  if (typeof value === "boolean") return "boolean";
  return "string";
}

/** Keys of a values.yaml tree. */
function fromValues(value: unknown, path: string[], types: Types): void {
  if (!isMapping(value)) {
    add(types, path, scalarType(value));
    return;
  }
  const keys = Object.keys(value);
  if (path.length > 0 && (keys.length === 0 || keys.some((k) => k.includes(".") || k.includes("/")))) {
    add(types, path, "map");
    return;
  }
  add(types, path, "object");
  for (const key of keys) fromValues(value[key], [...path, key], types);
}

/** Schemas that `$ref` an upstream URL we hold a copy of (bjw-s app-template → common). */
function localCopyOfRemote(url: string, chartsDir: string): string | undefined {
  const bjws = /bjw-s(?:-labs)?\/helm-charts\/common-(\d+\.\d+\.\d+)\/charts\/library\/common\/values\.schema\.json$/.exec(url);
  if (bjws) return join(chartsDir, "bjw-s-common", bjws[1], "values.schema.json");
  return undefined;
}

class SchemaWalker {
  private readonly files = new Map<string, Json>();

  constructor(private readonly chartsDir: string) {}

  private load(file: string): Json {
    let doc = this.files.get(file);
    if (!doc) {
      doc = JSON.parse(readFileSync(file, "utf8")) as Json;
      this.files.set(file, doc);
    }
    return doc;
  }

  /** The schema a `$ref` points at, and the file it lives in. */
  private resolveRef(ref: string, file: string): { schema: Json; file: string } {
    const [location, pointer = ""] = ref.split("#");
    let target = file;
    if (location) {
      target = /^https?:\/\//.test(location) ? localCopyOfRemote(location, this.chartsDir) ?? "" : resolve(dirname(file), location);
      if (!target || !existsSync(target)) throw new Error(`${file}: cannot resolve $ref ${ref} to a local file`);
    }
    let schema: any = this.load(target);
    for (const raw of pointer.split("/").filter((s) => s !== "")) {
      const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      schema = schema?.[segment];
      if (schema === undefined) throw new Error(`${file}: $ref ${ref} points at nothing`);
    }
    return { schema, file: target };
  }

  walkFile(file: string, types: Types): void {
    this.walk(this.load(file), file, [], types, []);
  }

  /** Adds the paths of `schema` at `path`; returns whether it listed any child key. */
  private walk(schema: unknown, file: string, path: string[], types: Types, refs: string[]): boolean {
    if (typeof schema === "boolean") {
      if (schema) add(types, path, "any");
      return false;
    }
    if (!isMapping(schema) || path.length > MAX_DEPTH) return false;
    let listed = false;
    if (typeof schema.$ref === "string") {
      const key = `${file}#${schema.$ref}`;
      if (refs.includes(key)) {
        add(types, path, "any"); // a recursive schema: stop here, accept what lies below
      } else {
        const target = this.resolveRef(schema.$ref, file);
        listed = this.walk(target.schema, target.file, path, types, [...refs, key]) || listed;
      }
    }
    for (const combinator of ["allOf", "anyOf", "oneOf"]) {
      const branches = schema[combinator];
      if (Array.isArray(branches)) for (const branch of branches) listed = this.walk(branch, file, path, types, refs) || listed;
    }
    const declared = ([] as string[]).concat(schema.type ?? []);
    for (const t of declared) {
      if (t !== "object") add(types, path, t === "integer" ? "number" : t);
    }
    const properties = isMapping(schema.properties) ? schema.properties : undefined;
    const additional = schema.additionalProperties;
    const patterns = isMapping(schema.patternProperties) ? Object.values(schema.patternProperties) : [];
    const wildcards = [...(isMapping(additional) ? [additional] : []), ...patterns];

    if (properties) {
      for (const [name, child] of Object.entries(properties)) {
        if (name.includes(".")) throw new Error(`${file}: property "${name}" holds a dot; the fixture format cannot encode it`);
        this.walk(child, file, [...path, name], types, refs);
        listed = true;
      }
    }
    let open = false;
    for (const child of wildcards) {
      const sub: Types = new Map();
      if (this.walk(child, file, ["*"], sub, refs)) {
        for (const [k, set] of sub) for (const t of set) add(types, [...path, ...k.split(".")], t);
        listed = true;
      } else {
        open = true;
      }
    }
    // The root stays closed even when a schema opens it (loki): there every typo would pass.
    if (path.length > 0 && additional === true) open = true;
    if (path.length > 0 && declared.includes("object") && !listed) open = true;
    if (open) add(types, path, "map");
    else if (listed) add(types, path, "object");
    return listed;
  }
}

interface ChartDir {
  readonly chart: string;
  readonly version: string;
  readonly dir: string;
  readonly meta: Json;
}

function chartDirs(chartsDir: string): ChartDir[] {
  const list: ChartDir[] = [];
  for (const chart of readdirSync(chartsDir, { withFileTypes: true })) {
    if (!chart.isDirectory()) continue;
    for (const version of readdirSync(join(chartsDir, chart.name), { withFileTypes: true })) {
      const dir = join(chartsDir, chart.name, version.name);
      if (!version.isDirectory() || !existsSync(join(dir, "values.yaml"))) continue;
      const meta = parse(readFileSync(join(dir, "Chart.yaml"), "utf8")) as Json;
      list.push({ chart: chart.name, version: version.name, dir, meta });
    }
  }
  return list.sort((a, b) => `${a.chart}-${a.version}`.localeCompare(`${b.chart}-${b.version}`));
}

/** Merged path → type set of one chart (without its subcharts). */
function ownKeys(chart: ChartDir, walker: SchemaWalker): Types {
  const types: Types = new Map();
  fromValues(parse(readFileSync(join(chart.dir, "values.yaml"), "utf8"), { uniqueKeys: false }) ?? {}, [], types);
  const schema = join(chart.dir, "values.schema.json");
  if (existsSync(schema)) walker.walkFile(schema, types);
  return types;
}

/** One type name per path: open types win; `null` only stays when nothing else is known. */
export function normalize(set: Set<string>): string {
  for (const open of ["map", "subchart", "any"]) if (set.has(open)) return open;
  const list = [...set].sort();
  if (list.length === 1 && list[0] === "null") return "any";
  return list.join("|");
}

/**
 * Keys the chart reads that its values.yaml does not list as such: documented elsewhere in the
 * chart (README, comments, templates). Each entry says why; keep this list short.
 */
const DOCUMENTED_KEYS: Record<string, Record<string, string>> = {
  // "configs.params: add parameters here" — every argocd-cmd-params-cm key (9.0.0 stopped listing them).
  "argo-cd": { "configs.params": "map" },
  // The config-reloader sidecar's resources block is passed through as a Kubernetes resources map.
  alloy: { "configReloader.resources": "map" },
  // grafana.ini is rendered verbatim into grafana.ini (any section); persistence.storageClassName is
  // commented out in values.yaml but read by the PVC template.
  grafana: { "grafana.ini": "map", "persistence.storageClassName": "string" },
};

function derive(chart: ChartDir, all: ChartDir[], walker: SchemaWalker): ChartKeys {
  const types = ownKeys(chart, walker);
  for (const [key, type] of Object.entries(DOCUMENTED_KEYS[chart.chart] ?? {})) {
    types.set(key, new Set([type]));
  }
  for (const dep of (chart.meta.dependencies ?? []) as Json[]) {
    const alias: string = dep.alias ?? dep.name;
    const local = all.find((c) => c.meta.name === dep.name && String(c.meta.version) === String(dep.version));
    if (local && local.meta.type === "library") {
      for (const [k, set] of ownKeys(local, walker)) for (const t of set) add(types, k.split("."), t);
    } else if (local) {
      add(types, [alias], "object");
      for (const [k, set] of ownKeys(local, walker)) for (const t of set) add(types, [alias, ...k.split(".")], t);
    } else {
      add(types, [alias], "subchart");
    }
  }
  const keys: Record<string, string> = {};
  for (const k of [...types.keys()].sort()) keys[k] = normalize(types.get(k) as Set<string>);
  return { chart: chart.chart, version: chart.version, keys };
}

function main(): void {
  const chartsDir = process.argv[2];
  if (!chartsDir || !existsSync(chartsDir)) {
    console.error(
      `usage: npm run chart-keys -- <charts-dir>: a folder of <chart>/<version>/values.yaml (got "${chartsDir ?? ""}", ` +
        `${chartsDir ? "which does not exist" : "no folder given"})`,
    );
    process.exit(2);
  }
  const all = chartDirs(chartsDir);
  const walker = new SchemaWalker(resolve(chartsDir));
  mkdirSync(OUT_DIR, { recursive: true });
  for (const chart of all) {
    const fixture = derive(chart, all, walker);
    const file = join(OUT_DIR, `${chart.chart}-${chart.version}.json`);
    writeFileSync(file, `${JSON.stringify(fixture, null, 1)}\n`);
    console.log(`${chart.chart} ${chart.version}: ${Object.keys(fixture.keys).length} key paths`);
  }
}

/**
 * Key paths of a values tree alone (no schema), as in a fixture: what the tests use for the repo's
 * own charts under charts/, whose values.yaml declares every key their templates read.
 */
export function valuesKeys(values: unknown): Record<string, string> {
  const types: Types = new Map();
  fromValues(values ?? {}, [], types);
  const keys: Record<string, string> = {};
  for (const k of [...types.keys()].sort()) keys[k] = normalize(types.get(k) as Set<string>);
  return keys;
}

/** Fixture of one chart folder (<chart>/<version>/) among its siblings, for tests of this script. */
export function deriveChartKeys(chartsDir: string, chart: string, version: string): ChartKeys {
  const all = chartDirs(chartsDir);
  const target = all.find((c) => c.chart === chart && c.version === version);
  if (!target) throw new Error(`no ${chart}/${version} with a values.yaml under ${chartsDir}`);
  return derive(target, all, new SchemaWalker(resolve(chartsDir)));
}

if (require.main === module) main();
