import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import { DataGuard } from "../data-guard";
import { ExposedApp } from "./exposed-app";
import { HelmApp, localChart, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";
import { TraefikBasicAuth } from "./traefik-basic-auth";

/** Longhorn's chart, pinned (https://charts.longhorn.io, chart `longhorn`). */
// renovate: datasource=helm depName=longhorn registryUrl=https://charts.longhorn.io
export const LONGHORN_CHART: ChartRef = { chart: "longhorn", repository: "https://charts.longhorn.io", version: "1.12.1" };
/** The repo's chart with the RecurringJobs (charts/longhorn-recurring-jobs). */
export const LONGHORN_JOBS_CHART: ChartRef = localChart("longhorn-recurring-jobs", "1.0.0");

/** StorageClass the chart creates (and makes the default). */
export const LONGHORN_STORAGE_CLASS = "longhorn";
/** Recurring jobs in this group apply to every volume that names no other group. */
const DEFAULT_GROUP = "default";

export interface LonghornProps {
  /** @default "longhorn-system" */
  readonly namespace?: string;
  /**
   * Replicas of each volume (`platform.longhorn.replicaCount`), for the StorageClass and the
   * default setting. At most the number of storage nodes: Longhorn never puts two replicas of a
   * volume on one node, so a higher count keeps every volume degraded.
   */
  readonly replicaCount: number;
  /** Nodes with a Longhorn disk where Longhorn runs (config/placement.ts longhornStorageNodes). */
  readonly storageNodeCount: number;
  /**
   * Create Longhorn's default disk only on nodes labelled `node.longhorn.io/create-default-disk=true`
   * (`createDefaultDiskLabeledNodes`): needed once a node without a Longhorn disk runs Longhorn
   * (an agent without dataDiskGiB), whose OS disk would otherwise hold replicas. Longhorn reads it
   * when a node joins. @default false (every node gets the default disk)
   */
  readonly defaultDiskOnLabelledNodesOnly?: boolean;
  /** Host path of the dedicated data disk. @default "/var/lib/longhorn/" */
  readonly dataPath?: string;
  /**
   * Backup target URL, e.g. `nfs://192.168.1.5:/srv/homelab-backups/longhorn`.
   * @default none: no backup target and no backup job (snapshots stay on the cluster's disks)
   */
  readonly backupTarget?: string;
  /** Cron (5 fields) of the snapshot job, and how many snapshots each volume keeps. */
  readonly snapshotCron: string;
  readonly snapshotRetain: number;
  /** Cron (5 fields) of the backup job, and how many backups each volume keeps on the target. */
  readonly backupCron: string;
  readonly backupRetain: number;
  /** What each node's Longhorn manager asks (catalog, per node). */
  readonly resources: Resources;
  /**
   * CPU the instance manager of each node reserves, in percent of the node's CPU
   * (`guaranteedInstanceManagerCPU`, for both data engines). Set explicitly because the capacity
   * check counts it (config/apps.ts, `longhorn-instance-manager`). @default 12 (Longhorn's own)
   */
  readonly instanceManagerCpuPercent?: number;
  /** @default LONGHORN_CHART */
  readonly chart?: ChartRef;
  /** What the release waits for: its namespace. @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The UI at https://<hostname>.<domain>, behind basic auth (Longhorn's UI has no login).
   * @default none: the UI is only reachable with kubectl port-forward
   */
  readonly ui?: LonghornUiProps;
}

export interface LonghornUiProps {
  /** DNS label of the UI. */
  readonly hostname: string;
  readonly domain: string;
  /** Traefik and its CRDs (the basic-auth Middleware and the Ingress need them). */
  readonly traefikReady: ITerraformDependable[];
}

/** One RecurringJob of the longhorn-recurring-jobs chart. */
export interface LonghornRecurringJob {
  readonly name: string;
  readonly task: "snapshot" | "backup";
  readonly cron: string;
  readonly retain: number;
  readonly concurrency: number;
  readonly groups: string[];
}

const CRON = /^\S+( \S+){4}$/;

/**
 * Longhorn: replicated block storage on each server's data disk, default StorageClass, drains that
 * wait for the last replica to move, backups to the NFS target, and recurring snapshot/backup jobs
 * for every volume (custom resources in a repo chart released after Longhorn's CRDs).
 */
export class Longhorn extends Construct {
  public readonly namespace: string;
  public readonly release: HelmApp;
  public readonly jobs: HelmApp;
  public readonly storageClassName = LONGHORN_STORAGE_CLASS;
  /**
   * `prevent_destroy` on the release: uninstalling Longhorn deletes every volume it holds (its
   * own `deleting-confirmation-flag` only makes the uninstall hang at its hook until set).
   */
  public readonly guard: DataGuard;
  /** The UI's Service (no login of its own: expose it only behind authentication). */
  public readonly uiServiceName = "longhorn-frontend";
  public readonly uiServicePort = 80;
  /** The UI's URL and its basic-auth credentials, when `ui` is given. */
  public readonly ui?: { readonly app: ExposedApp; readonly auth: TraefikBasicAuth };

  constructor(scope: Construct, id: string, props: LonghornProps) {
    super(scope, id);
    if (!Number.isInteger(props.replicaCount) || props.replicaCount < 1 || props.replicaCount > props.storageNodeCount) {
      throw new Error(
        `Longhorn ${id}: replicaCount ${props.replicaCount} with ${props.storageNodeCount} storage nodes: ` +
          `Longhorn keeps each replica on a different node, so use 1 to ${props.storageNodeCount} (platform.longhorn.replicaCount)`,
      );
    }
    for (const [name, cron] of [
      ["snapshotCron", props.snapshotCron],
      ["backupCron", props.backupCron],
    ]) {
      if (!CRON.test(cron)) {
        throw new Error(`Longhorn ${id}: ${name} "${cron}" is not a 5-field cron expression such as "0 3 * * *"`);
      }
    }
    for (const [name, retain] of [
      ["snapshotRetain", props.snapshotRetain],
      ["backupRetain", props.backupRetain],
    ] as const) {
      if (!Number.isInteger(retain) || retain < 1) {
        throw new Error(`Longhorn ${id}: ${name} ${retain} must be a whole number of 1 or more`);
      }
    }
    if (props.backupTarget !== undefined && !/^(nfs|s3|cifs|azblob):\/\/\S+$/.test(props.backupTarget)) {
      throw new Error(
        `Longhorn ${id}: backup target "${props.backupTarget}" is not a Longhorn backup URL; ` +
          `use nfs://<host>:<export path>/<dir> (or s3://, cifs://, azblob://)`,
      );
    }
    const imCpu = props.instanceManagerCpuPercent ?? 12;
    if (!Number.isInteger(imCpu) || imCpu < 0 || imCpu > 40) {
      throw new Error(`Longhorn ${id}: instanceManagerCpuPercent ${imCpu} must be a whole percentage from 0 to 40 (platform.longhorn.instanceManagerCpuPercent)`);
    }
    this.namespace = props.namespace ?? "longhorn-system";

    this.release = new HelmApp(this, "release", {
      releaseName: "longhorn",
      chart: props.chart ?? LONGHORN_CHART,
      namespace: this.namespace,
      values: {
        persistence: {
          defaultClass: true,
          defaultClassReplicaCount: props.replicaCount,
        },
        defaultSettings: {
          defaultDataPath: props.dataPath ?? "/var/lib/longhorn/",
          // Since Longhorn 1.10 the chart fails on any defaultSettings value that is not a string.
          defaultReplicaCount: String(props.replicaCount),
          // Drains (K3s upgrades) wait while a node holds a volume's last healthy replica, and
          // Longhorn moves that replica away first, instead of blocking forever or losing it.
          nodeDrainPolicy: "block-for-eviction-if-contains-last-replica",
          // Per data engine since 1.10 (a JSON string). The CPU request of each node's instance
          // manager pod, in percent of the node's allocatable CPU: counted by the capacity check.
          guaranteedInstanceManagerCPU: JSON.stringify({ v1: String(imCpu), v2: String(imCpu) }),
          ...(props.defaultDiskOnLabelledNodesOnly ? { createDefaultDiskLabeledNodes: "true" } : {}),
        },
        // Since Longhorn 1.8 the backup target lives here, no longer in defaultSettings.
        ...(props.backupTarget !== undefined ? { defaultBackupStore: { backupTarget: props.backupTarget } } : {}),
        longhornManager: { resources: kubernetesResources(props.resources) },
      },
      dependsOn: props.dependsOn,
    });

    this.guard = new DataGuard(this, "guard", {
      resource: this.release.release,
      name: "longhorn",
      holds: "every Longhorn volume of the cluster",
    });

    const jobs: LonghornRecurringJob[] = [
      // One volume at a time: the data disks are HDDs and the backup target is a Raspberry Pi.
      { name: "snapshot", task: "snapshot", cron: props.snapshotCron, retain: props.snapshotRetain, concurrency: 1, groups: [DEFAULT_GROUP] },
      ...(props.backupTarget !== undefined
        ? [{ name: "backup", task: "backup" as const, cron: props.backupCron, retain: props.backupRetain, concurrency: 1, groups: [DEFAULT_GROUP] }]
        : []),
    ];
    this.jobs = new HelmApp(this, "recurring-jobs", {
      releaseName: "longhorn-recurring-jobs",
      chart: LONGHORN_JOBS_CHART,
      namespace: this.namespace,
      values: { jobs },
      dependsOn: [this.release.release],
    });

    if (props.ui) {
      const auth = new TraefikBasicAuth(this, "ui-auth", {
        name: "longhorn-ui-auth",
        namespace: this.namespace,
        namespaceReady: [this.release.release],
        traefikReady: props.ui.traefikReady,
      });
      const app = new ExposedApp(this, "longhorn", {
        hostname: props.ui.hostname,
        domain: props.ui.domain,
        namespace: this.namespace,
        serviceName: this.uiServiceName,
        servicePort: this.uiServicePort,
        middlewares: [auth.middleware],
        dependsOn: [this.release.release, ...props.ui.traefikReady, ...auth.ready],
      });
      this.ui = { app, auth };
    }
  }

  /** Longhorn, its StorageClass and its recurring jobs are in place. */
  public get ready(): ITerraformDependable[] {
    return [this.release.release, this.jobs.release];
  }
}
