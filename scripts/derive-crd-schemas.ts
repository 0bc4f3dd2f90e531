/**
 * Derives the CRD schema fixtures: for every CustomResourceDefinition in
 * <crds-dir>/<chart>-<version>/*.yaml (any YAML: one CRD per file, or a whole
 * `helm template --include-crds` output, whose other objects are skipped), the fields a custom
 * resource is validated against, written to __tests__/fixtures/crds/<chart>-<version>/<plural>.<group>.json:
 * group, kind, scope and, per served version, its `openAPIV3Schema`. Each chart folder of the
 * source replaces the fixtures of that chart (any version); other charts' fixtures stay.
 *
 * Data only: every `description` of the schemas is dropped (a property that happens to be named
 * `description` stays), and so are printer columns, labels and annotations. The schemas are
 * otherwise kept as upstream wrote them; scripts/lib/validate-objects.ts turns them into JSON
 * Schema when it loads them.
 *
 * Usage: tsx scripts/derive-crd-schemas.ts <crds-dir>   (no default: the source is outside the repo)
 * (`npm run crd-schemas` passes ../shared/crds, the CRDs of the pinned charts, next to a clone.)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export const CRD_FIXTURES_DIR = join(__dirname, "..", "__tests__", "fixtures", "crds");

type Json = Record<string, any>;

/** What a custom resource is validated against: one fixture file. */
export interface CrdFixture {
  readonly source: string;
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: "Namespaced" | "Cluster";
  readonly versions: readonly { readonly name: string; readonly served: boolean; readonly schema: Json }[];
}

/** Schema keywords whose value is data (defaults, enums, rules), copied as they are. */
const DATA_KEYWORDS = new Set(["default", "enum", "example", "required", "x-kubernetes-list-map-keys", "x-kubernetes-validations"]);

/** A schema without its `description`s (property names and data values are kept). */
export function stripDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripDescriptions);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    if (key === "description") continue;
    if (DATA_KEYWORDS.has(key)) {
      out[key] = value;
      continue;
    }
    if ((key === "properties" || key === "patternProperties" || key === "definitions") && typeof value === "object" && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([name, child]) => [name, stripDescriptions(child)]));
    } else {
      out[key] = stripDescriptions(value);
    }
  }
  return out;
}

/** The fixture of one CRD object; throws on anything that is not a v1 CustomResourceDefinition. */
export function crdFixture(crd: Json, source: string): CrdFixture {
  if (crd?.apiVersion !== "apiextensions.k8s.io/v1" || crd?.kind !== "CustomResourceDefinition") {
    throw new Error(`${source}: not an apiextensions.k8s.io/v1 CustomResourceDefinition (${crd?.apiVersion} ${crd?.kind})`);
  }
  const spec = crd.spec ?? {};
  const versions = (spec.versions ?? []).map((v: Json) => {
    if (!v.schema?.openAPIV3Schema) throw new Error(`${source}: version ${v.name} has no schema.openAPIV3Schema`);
    return { name: v.name, served: v.served === true, schema: stripDescriptions(v.schema.openAPIV3Schema) as Json };
  });
  return { source, group: spec.group, kind: spec.names?.kind, plural: spec.names?.plural, scope: spec.scope, versions };
}

/** Every CRD of a folder of `<chart>-<version>/` folders, as fixture path → fixture. */
export function deriveCrdSchemas(crdsDir: string): Map<string, CrdFixture> {
  const out = new Map<string, CrdFixture>();
  for (const chart of readdirSync(crdsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(join(crdsDir, chart)).filter((f) => f.endsWith(".yaml")).sort()) {
      const source = `${chart}/${file}`;
      for (const doc of parseAllDocuments(readFileSync(join(crdsDir, chart, file), "utf8"))) {
        if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
        const crd = doc.toJS() as Json | null;
        if (crd === null || crd.kind !== "CustomResourceDefinition") continue;
        const fixture = crdFixture(crd, source);
        out.set(join(chart, `${fixture.plural}.${fixture.group}.json`), fixture);
      }
    }
  }
  return out;
}

/** The chart of a `<chart>-<version>` folder name (`cert-manager-v1.21.1` → `cert-manager`). */
export function chartOf(folder: string): string {
  return /^(.+?)-v?\d+\.\d+\.\d+.*$/.exec(folder)?.[1] ?? folder;
}

/** The version of a `<chart>-<version>` folder name (`cert-manager-v1.21.1` → `v1.21.1`). */
export function versionOf(folder: string): string {
  return folder.slice(chartOf(folder).length + 1);
}

/**
 * Writes the fixtures under `outDir`, first removing the fixtures of every chart they cover (any
 * version). Returns the `<chart>-<version>` folders written.
 */
export function writeCrdFixtures(fixtures: Map<string, CrdFixture>, outDir: string): string[] {
  const charts = [...new Set([...fixtures.keys()].map((path) => path.split(/[\\/]/)[0]))].sort();
  mkdirSync(outDir, { recursive: true });
  for (const existing of readdirSync(outDir)) {
    if (charts.some((c) => chartOf(c) === chartOf(existing))) rmSync(join(outDir, existing), { recursive: true, force: true });
  }
  for (const [path, fixture] of fixtures) {
    const file = join(outDir, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, `${JSON.stringify(fixture, null, 1)}\n`);
  }
  return charts;
}

function main(): void {
  const crdsDir = process.argv[2];
  if (!crdsDir || !existsSync(crdsDir)) {
    process.stderr.write("usage: tsx scripts/derive-crd-schemas.ts <crds-dir>\n  <crds-dir>: folders <chart>-<version>/ of CRD YAML files\n");
    process.exit(2);
  }
  const fixtures = deriveCrdSchemas(crdsDir);
  const charts = writeCrdFixtures(fixtures, CRD_FIXTURES_DIR);
  process.stdout.write(`${fixtures.size} CRD schemas of ${charts.join(", ")} written to __tests__/fixtures/crds/\n`);
}

if (require.main === module) main();
