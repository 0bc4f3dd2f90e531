import { Longhorn, type LonghornProps } from "../../../constructs/platform/longhorn";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues, releaseAddress, releaseDependsOn } from "../../support/terraform";

const PROPS: LonghornProps = {
  replicaCount: 2,
  storageNodeCount: 3,
  backupTarget: "nfs://192.168.1.5:/srv/homelab-backups/longhorn",
  snapshotCron: "0 * * * *",
  snapshotRetain: 24,
  backupCron: "0 3 * * *",
  backupRetain: 14,
  resources: { requestMilliCpu: 300, requestMemoryMiB: 512, limitMemoryMiB: 1024 },
};

function synth(props: LonghornProps = PROPS) {
  const stack = clusterStack();
  const longhorn = new Longhorn(stack, "longhorn", props);
  return { json: synthJson(stack), longhorn };
}

describe("Longhorn", () => {
  test("creates its default disk only on labelled nodes when asked (a node without a Longhorn disk runs it), a string as the chart wants", () => {
    expect(helmValues(synth().json, "longhorn").defaultSettings).not.toHaveProperty("createDefaultDiskLabeledNodes");
    const labelled = helmValues(synth({ ...PROPS, defaultDiskOnLabelledNodesOnly: true }).json, "longhorn").defaultSettings;
    expect(labelled.createDefaultDiskLabeledNodes).toBe("true");
  });

  test("guards its release against destruction (uninstalling deletes every volume), under the name longhorn", () => {
    const { json, longhorn } = synth();
    expect(helmRelease(json, "longhorn").lifecycle).toEqual({ prevent_destroy: true });
    expect(helmRelease(json, "longhorn-recurring-jobs").lifecycle).toBeUndefined();
    expect(longhorn.guard).toMatchObject({ name: "longhorn", guarded: true });
  });

  test("sets the instance manager's CPU reservation explicitly, per data engine, as the capacity check counts it", () => {
    expect(helmValues(synth().json, "longhorn").defaultSettings.guaranteedInstanceManagerCPU).toBe('{"v1":"12","v2":"12"}');
    expect(helmValues(synth({ ...PROPS, instanceManagerCpuPercent: 5 }).json, "longhorn").defaultSettings.guaranteedInstanceManagerCPU).toBe('{"v1":"5","v2":"5"}');
    expect(() => synth({ ...PROPS, instanceManagerCpuPercent: 50 })).toThrow("instanceManagerCpuPercent 50 must be a whole percentage from 0 to 40");
  });

  test("installs the pinned chart as the default StorageClass with the configured replica count", () => {
    const { json, longhorn } = synth();
    expect(helmRelease(json, "longhorn")).toMatchObject({
      chart: "longhorn",
      repository: "https://charts.longhorn.io",
      version: "1.12.1",
      namespace: "longhorn-system",
    });
    const values = helmValues(json, "longhorn");
    expect(values.persistence).toEqual({ defaultClass: true, defaultClassReplicaCount: 2 });
    expect(values.defaultSettings.defaultReplicaCount).toBe("2"); // the chart refuses non-string settings
    for (const [key, value] of Object.entries(values.defaultSettings)) expect([key, typeof value]).toEqual([key, "string"]);
    expect(values.defaultSettings.defaultDataPath).toBe("/var/lib/longhorn/");
    expect(longhorn.storageClassName).toBe("longhorn");
  });

  test("drains wait for the last replica to be evicted, and the manager gets the catalog resources", () => {
    const values = helmValues(synth().json, "longhorn");
    expect(values.defaultSettings.nodeDrainPolicy).toBe("block-for-eviction-if-contains-last-replica");
    expect(values.longhornManager.resources).toEqual({ requests: { cpu: "300m", memory: "512Mi" }, limits: { memory: "1024Mi" } });
  });

  test("the backup target goes in defaultBackupStore (Longhorn ≥ 1.8), not in defaultSettings", () => {
    const values = helmValues(synth().json, "longhorn");
    expect(values.defaultBackupStore).toEqual({ backupTarget: "nfs://192.168.1.5:/srv/homelab-backups/longhorn" });
    expect(values.defaultSettings.backupTarget).toBeUndefined();
  });

  test("snapshot and backup jobs for every volume (default group), released after Longhorn's CRDs", () => {
    const { json } = synth();
    expect(helmValues(json, "longhorn-recurring-jobs").jobs).toEqual([
      { name: "snapshot", task: "snapshot", cron: "0 * * * *", retain: 24, concurrency: 1, groups: ["default"] },
      { name: "backup", task: "backup", cron: "0 3 * * *", retain: 14, concurrency: 1, groups: ["default"] },
    ]);
    expect(releaseDependsOn(json, "longhorn-recurring-jobs")).toEqual([releaseAddress(json, "longhorn")]);
  });

  test("without a backup target: no backup store and no backup job, snapshots still run", () => {
    const { backupTarget: _omitted, ...withoutTarget } = PROPS;
    const { json } = synth(withoutTarget);
    expect(helmValues(json, "longhorn").defaultBackupStore).toBeUndefined();
    expect(helmValues(json, "longhorn-recurring-jobs").jobs.map((j: { task: string }) => j.task)).toEqual(["snapshot"]);
  });

  test("fails when there are more replicas than storage nodes", () => {
    expect(() => synth({ ...PROPS, replicaCount: 3, storageNodeCount: 2 })).toThrow(
      "Longhorn longhorn: replicaCount 3 with 2 storage nodes: Longhorn keeps each replica on a different node, so use 1 to 2 (platform.longhorn.replicaCount)",
    );
  });

  test("fails when a schedule is not a 5-field cron expression", () => {
    expect(() => synth({ ...PROPS, backupCron: "@daily" })).toThrow(
      'Longhorn longhorn: backupCron "@daily" is not a 5-field cron expression such as "0 3 * * *"',
    );
  });

  test("fails when a retention is not a positive whole number", () => {
    expect(() => synth({ ...PROPS, snapshotRetain: 0 })).toThrow("Longhorn longhorn: snapshotRetain 0 must be a whole number of 1 or more");
  });

  test("fails when the backup target is not a Longhorn backup URL", () => {
    expect(() => synth({ ...PROPS, backupTarget: "192.168.1.5:/srv/homelab-backups" })).toThrow(
      'Longhorn longhorn: backup target "192.168.1.5:/srv/homelab-backups" is not a Longhorn backup URL; use nfs://<host>:<export path>/<dir> (or s3://, cifs://, azblob://)',
    );
  });
});
