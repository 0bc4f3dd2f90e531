/**
 * Helm releases of a synthesized stack (its cdk.tf.json), rendered with the real Helm exactly as
 * the Terraform helm provider hands them over: chart, version, namespace, `values`, `set` and
 * `set_sensitive`. Local charts are the stack's own assets (paths relative to the stack folder);
 * upstream charts come from a folder of pulled charts (`helm pull` writes `<chart>-<version>.tgz`;
 * `helm pull --untar` writes `<chart>/`).
 *
 * Terraform resolves the expressions inside values (`${…}`) before Helm sees them; here each one
 * renders as EXPRESSION_PLACEHOLDER (a plain string), and a `set_sensitive` value, always a
 * Terraform reference here, as SENSITIVE_PLACEHOLDER.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { helmEnv } from "./helm";

type Json = Record<string, any>;

/** What a `set_sensitive` value renders as (the real one is known only at apply). */
export const SENSITIVE_PLACEHOLDER = "sensitive-value-known-at-apply";
/** What a Terraform expression inside values renders as. */
export const EXPRESSION_PLACEHOLDER = "terraform-expression";

/**
 * `text` with every Terraform interpolation `${…}` (nested braces and quoted strings included)
 * replaced by EXPRESSION_PLACEHOLDER; the escape `$${` stays a literal `${`, as Terraform prints it.
 */
export function withoutTerraformExpressions(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      out += "${";
      i += 3;
    } else if (text.startsWith("${", i)) {
      let depth = 1;
      let j = i + 2;
      let quote = false;
      for (; j < text.length && depth > 0; j++) {
        const c = text[j];
        if (quote) {
          if (c === "\\") j++;
          else if (c === '"') quote = false;
        } else if (c === '"') quote = true;
        else if (c === "{") depth++;
        else if (c === "}") depth--;
      }
      if (depth > 0) throw new Error(`unterminated Terraform expression: ${text.slice(i, i + 60)}`);
      out += EXPRESSION_PLACEHOLDER;
      i = j;
    } else {
      out += text[i++];
    }
  }
  return out;
}

export interface ReleaseSet {
  readonly name: string;
  readonly value: string;
  /** The helm provider's `type`: `auto` (--set), `string` (--set-string) or `literal` (--set-literal). */
  readonly type?: string;
}

/** One helm_release resource of a stack. */
export interface HelmReleaseSpec {
  /** Terraform logical id. */
  readonly id: string;
  readonly name: string;
  readonly chart: string;
  readonly repository?: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: readonly string[];
  readonly set: readonly ReleaseSet[];
  readonly setSensitive: readonly ReleaseSet[];
}

/** Every helm_release of a synthesized stack's Terraform JSON, in logical-id order. */
export function helmReleasesOf(tf: Json): HelmReleaseSpec[] {
  return Object.entries<Json>(tf.resource?.helm_release ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, r]) => ({
      id,
      name: r.name,
      chart: r.chart,
      ...(r.repository ? { repository: r.repository } : {}),
      version: r.version,
      namespace: r.namespace ?? "default",
      values: r.values ?? [],
      set: r.set ?? [],
      setSensitive: r.set_sensitive ?? [],
    }));
}

/** A release whose chart is kept in the repo (a stack asset), not pulled from a repository. */
export function isLocalChart(release: HelmReleaseSpec): boolean {
  return release.repository === undefined && !release.chart.startsWith("oci://");
}

/** Chart name of an upstream release (`oci://registry/path/name` → `name`). */
export function chartName(release: HelmReleaseSpec): string {
  return release.chart.split("/").pop() as string;
}

export type ChartLocation = { readonly path: string } | { readonly missing: string };

/** Where the chart of a release is, or why it is not available. */
export function locateChart(release: HelmReleaseSpec, stackDir: string, chartsDir?: string): ChartLocation {
  if (isLocalChart(release)) {
    const path = isAbsolute(release.chart) ? release.chart : resolve(stackDir, release.chart);
    return existsSync(join(path, "Chart.yaml")) ? { path } : { missing: `local chart ${release.chart} is not in ${stackDir} (synthesize the stack again)` };
  }
  if (chartsDir === undefined) return { missing: "upstream chart: pass --charts <dir> (online: add --pull)" };
  const name = chartName(release);
  const tgz = join(chartsDir, `${name}-${release.version}.tgz`);
  if (existsSync(tgz)) return { path: tgz };
  const dir = join(chartsDir, name);
  if (existsSync(join(dir, "Chart.yaml"))) {
    const version = String((parse(readFileSync(join(dir, "Chart.yaml"), "utf8")) as Json).version);
    return version === release.version ? { path: dir } : { missing: `${dir} holds ${name} ${version}, the stack pins ${release.version}` };
  }
  return { missing: `neither ${name}-${release.version}.tgz nor ${name}/ in ${chartsDir}` };
}

/** The `helm pull` arguments that fetch an upstream release's pinned chart into a folder. */
export function pullArgs(release: HelmReleaseSpec, destination: string): string[] {
  const source = release.chart.startsWith("oci://")
    ? [release.chart]
    : release.repository!.startsWith("oci://")
      ? [`${release.repository!.replace(/\/$/, "")}/${release.chart}`]
      : [release.chart, "--repo", release.repository!];
  return ["pull", ...source, "--version", release.version, "--destination", destination];
}

/** The `helm template` arguments of a release (values files are written by renderRelease). */
export function templateArgs(release: HelmReleaseSpec, chartPath: string, kubeVersion: string, valuesFiles: readonly string[]): string[] {
  const flag = (type?: string) => (type === "string" ? "--set-string" : type === "literal" ? "--set-literal" : "--set");
  return [
    "template",
    release.name,
    chartPath,
    "--namespace",
    release.namespace,
    "--kube-version",
    kubeVersion,
    "--include-crds",
    "--skip-tests",
    ...valuesFiles.flatMap((f) => ["--values", f]),
    ...release.set.flatMap((s) => [flag(s.type), `${s.name}=${withoutTerraformExpressions(s.value)}`]),
    ...release.setSensitive.flatMap((s) => ["--set-string", `${s.name}=${SENSITIVE_PLACEHOLDER}`]),
  ];
}

/** One rendered object, with the template it came from. */
export interface RenderedObject {
  readonly source: string;
  readonly object: Json;
}

/** Objects of `helm template` output, with their `# Source:` template. */
export function parseRendered(text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const comment = `${doc.commentBefore ?? ""}\n${(doc.contents as { commentBefore?: string } | null)?.commentBefore ?? ""}`;
    const source = /Source: (\S+)/.exec(comment)?.[1] ?? "(unknown template)";
    if (doc.errors.length) throw new Error(`${source}: rendered YAML does not parse: ${doc.errors[0].message}`);
    const object = doc.toJS() as Json | null;
    if (object !== null && object !== undefined) out.push({ source, object });
  }
  return out;
}

/** Renders one release with the real Helm; rejects with Helm's message when it refuses. */
export async function renderRelease(helm: string, release: HelmReleaseSpec, chartPath: string, kubeVersion: string): Promise<RenderedObject[]> {
  const dir = mkdtempSync(join(tmpdir(), "homelab-render-"));
  try {
    const files = release.values.map((text, i) => {
      const file = join(dir, `values-${i}.yaml`);
      writeFileSync(file, withoutTerraformExpressions(text));
      return file;
    });
    let output: string;
    try {
      ({ stdout: output } = await promisify(execFile)(helm, templateArgs(release, chartPath, kubeVersion, files), {
        encoding: "utf8",
        env: helmEnv(),
        maxBuffer: 256 * 1024 * 1024,
      }));
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
      throw new Error(stderr.split("\n").filter((l) => l.trim() !== "").join("; ") || (error as Error).message);
    }
    return parseRendered(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `fn` over `items`, at most `limit` at a time, results in item order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
