import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";

/** grafana-community `loki` chart; keys checked against ../shared/charts/loki/18.11.0/values.yaml. */
// renovate: datasource=helm depName=loki registryUrl=https://grafana-community.github.io/helm-charts
export const LOKI_CHART: ChartRef = { chart: "loki", repository: "https://grafana-community.github.io/helm-charts", version: "18.11.0" };

export interface LokiProps {
  readonly namespace: string;
  readonly storageClassName: string;
  readonly storageGiB: number;
  /** Logs older than this are deleted by the compactor. */
  readonly retentionDays: number;
  readonly resources: Resources;
  /** Start of the TSDB/v13 index schema; never change it after the first install. @default "2026-01-01" */
  readonly schemaFromDate?: string;
  readonly chart?: ChartRef;
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Loki as one pod (`deploymentMode: Monolithic`, the chart's current name for "SingleBinary") with
 * chunks and index on a Longhorn volume: a few GB of household logs a day need no object store.
 * Everything a scalable install adds (gateway, memcached caches, canary, MinIO) is off; with one
 * tenant, authentication is off too and clients talk to the `loki` Service on port 3100.
 */
export class Loki extends Construct {
  public readonly app: HelmApp;
  /** In-cluster base URL (Grafana's datasource). */
  public readonly url: string;
  /** Push endpoint for log shippers. */
  public readonly pushUrl: string;

  constructor(scope: Construct, id: string, props: LokiProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(`Loki ${id}: retentionDays ${props.retentionDays} must be a whole number of days >= 1`);
    }
    if (!Number.isInteger(props.storageGiB) || props.storageGiB < 1) {
      throw new Error(`Loki ${id}: storageGiB ${props.storageGiB} must be a whole number of GiB >= 1`);
    }
    const from = props.schemaFromDate ?? "2026-01-01";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) {
      throw new Error(`Loki ${id}: schemaFromDate "${from}" must be a date such as 2026-01-01`);
    }
    this.url = `http://loki.${props.namespace}.svc.cluster.local:3100`;
    this.pushUrl = `${this.url}/loki/api/v1/push`;

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? LOKI_CHART,
      releaseName: "loki",
      namespace: props.namespace,
      values: {
        deploymentMode: "Monolithic",
        loki: {
          auth_enabled: false,
          commonConfig: { replication_factor: 1 },
          storage: { type: "filesystem" },
          schemaConfig: {
            configs: [
              { from, store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } },
            ],
          },
          limits_config: { retention_period: `${props.retentionDays * 24}h` },
          compactor: {
            retention_enabled: true,
            delete_request_store: "filesystem",
            working_directory: "/var/loki/compactor",
          },
        },
        singleBinary: {
          replicas: 1,
          // The rules sidecar watches ConfigMaps for alert rules; no rules here.
          sidecar: false,
          resources: kubernetesResources(props.resources),
          persistence: { enabled: true, size: `${props.storageGiB}Gi`, storageClass: props.storageClassName },
        },
        write: { replicas: 0 },
        read: { replicas: 0 },
        backend: { replicas: 0 },
        gateway: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        minio: { enabled: false },
        lokiCanary: { enabled: false },
        test: { enabled: false },
      },
      dependsOn: props.dependsOn,
    });
  }
}
