import { existsSync } from "node:fs";
import { join } from "node:path";
import { Construct, type IConstruct } from "constructs";
import { AssetType, TerraformAsset, type ITerraformDependable } from "cdktf";
import { Release } from "@cdktf/provider-helm/lib/release";
import { stringify } from "yaml";
import { isExactVersion } from "../../config/formats";

/** A pinned chart: exact version, never a range. */
export interface ChartRef {
  /** Chart name in its repository (for a local chart: its folder name under charts/). */
  readonly chart: string;
  /** Helm repository URL or `oci://…`; omitted for local charts. */
  readonly repository?: string;
  /** Exact chart version (for a local chart: the `version` of its Chart.yaml). */
  readonly version: string;
  /**
   * Absolute path of a chart kept in this repo. It is copied into the stack's assets at synth, so
   * Terraform reads it from cdktf.out (content-hashed path: an edited chart is a changed release).
   */
  readonly localPath?: string;
}

/** Where the repo's own small charts live (custom resources released after their operator). */
export const LOCAL_CHARTS_DIR = join(__dirname, "..", "..", "charts");

/** A chart kept in this repo under charts/<name>; `version` must match its Chart.yaml. */
export function localChart(name: string, version: string): ChartRef {
  return { chart: name, version, localPath: join(LOCAL_CHARTS_DIR, name) };
}

/** A sensitive chart value: passed with `set_sensitive`, so it never appears in cdktf.out. */
export interface SensitiveValue {
  /** Helm `--set` path, e.g. `adminPassword`. */
  readonly path: string;
  /** A Terraform reference (e.g. a random_password's result), never a literal. */
  readonly value: string;
}

export interface HelmAppProps {
  readonly chart: ChartRef;
  /** Release name. @default the construct id */
  readonly releaseName?: string;
  readonly namespace: string;
  /**
   * Chart values, typed by each add-on and rendered to YAML. Every key path must exist in the
   * pinned chart's defaults (tested against __tests__/fixtures/chart-keys).
   */
  readonly values: object;
  readonly sensitiveValues?: readonly SensitiveValue[];
  /** Resources that must be ready first (e.g. MetalLB before any LoadBalancer Service). */
  readonly dependsOn?: ITerraformDependable[];
  /** Wait until every resource is ready before the release counts as deployed. @default true */
  readonly wait?: boolean;
  /** @default 600 */
  readonly timeoutSeconds?: number;
}

/**
 * One Helm release of a pinned upstream (or in-repo) chart, with typed values. Waits for
 * readiness and rolls back a failed install/upgrade, so dependants only start on a healthy release.
 */
export class HelmApp extends Construct {
  public readonly release: Release;
  public readonly chart: ChartRef;
  /** The values as passed to the chart (for the values-key test). */
  public readonly values: object;
  public readonly releaseName: string;
  public readonly namespace: string;

  /** Every HelmApp under `scope`, in construct order. */
  public static all(scope: IConstruct): HelmApp[] {
    return scope.node.findAll().filter((c): c is HelmApp => c instanceof HelmApp);
  }

  constructor(scope: Construct, id: string, props: HelmAppProps) {
    super(scope, id);
    if (!isExactVersion(props.chart.version)) {
      throw new Error(
        `HelmApp ${id}: chart version "${props.chart.version}" is not exact; pin a released version such as 1.2.3`,
      );
    }
    for (const s of props.sensitiveValues ?? []) {
      if (!s.value.includes("${")) {
        throw new Error(`HelmApp ${id}: sensitive value ${s.path} is a literal; pass a Terraform reference (e.g. a random_password)`);
      }
    }
    if (props.chart.localPath !== undefined) {
      if (props.chart.repository) {
        throw new Error(`HelmApp ${id}: chart ${props.chart.chart} has both a repository and a local path; give one`);
      }
      if (!existsSync(join(props.chart.localPath, "Chart.yaml"))) {
        throw new Error(`HelmApp ${id}: no Chart.yaml in ${props.chart.localPath}; local charts live in charts/<name>/`);
      }
    }
    this.chart = props.chart;
    this.values = props.values;
    this.releaseName = props.releaseName ?? id;
    this.namespace = props.namespace;
    const chartSource =
      props.chart.localPath !== undefined
        ? new TerraformAsset(this, "chart", { path: props.chart.localPath, type: AssetType.DIRECTORY }).path
        : props.chart.chart;
    this.release = new Release(this, "release", {
      name: this.releaseName,
      chart: chartSource,
      ...(props.chart.repository ? { repository: props.chart.repository } : {}),
      version: props.chart.version,
      namespace: props.namespace,
      // Namespaces are Terraform's (stacks/platform/namespaces.ts): one policy for every release.
      createNamespace: false,
      values: [stringify(props.values, { sortMapEntries: false, lineWidth: 0, aliasDuplicateObjects: false })],
      ...(props.sensitiveValues?.length
        ? { setSensitive: props.sensitiveValues.map((s) => ({ name: s.path, value: s.value })) }
        : {}),
      wait: props.wait ?? true,
      atomic: true,
      cleanupOnFail: true,
      timeout: props.timeoutSeconds ?? 600,
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
