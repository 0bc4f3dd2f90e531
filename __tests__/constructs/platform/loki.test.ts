import { parse } from "yaml";
import { Loki } from "../../../constructs/platform/loki";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();

function build(overrides: Partial<ConstructorParameters<typeof Loki>[2]> = {}) {
  const stack = newStack();
  const loki = new Loki(stack, "loki", {
    namespace: "observability",
    storageClassName: "longhorn",
    storageGiB: lab.platform.apps.loki.storageGiB,
    retentionDays: lab.platform.apps.loki.retentionDays,
    resources: catalogResources(lab, "loki"),
    ...overrides,
  });
  return { loki, json: synthJson(stack) };
}

describe("Loki", () => {
  const { loki, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);

  test("pins the grafana-community chart 18.11.0", () => {
    expect(release).toMatchObject({ chart: "loki", repository: "https://grafana-community.github.io/helm-charts", version: "18.11.0" });
  });

  test("runs as one pod on a Longhorn volume of the configured size", () => {
    expect(values.deploymentMode).toBe("Monolithic");
    expect(values.singleBinary).toMatchObject({
      replicas: 1,
      persistence: { enabled: true, size: "20Gi", storageClass: "longhorn" },
    });
    expect(values.loki.storage).toEqual({ type: "filesystem" });
    expect(values.loki.schemaConfig.configs[0]).toMatchObject({ store: "tsdb", object_store: "filesystem", schema: "v13" });
    expect(values.loki.commonConfig).toEqual({ replication_factor: 1 });
  });

  test("deletes logs after the configured retention", () => {
    expect(values.loki.limits_config).toEqual({ retention_period: "336h" });
    expect(values.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
  });

  test("indexes by day from a fixed date: retention deletes whole 24 h index tables, and a moved date would hide stored logs", () => {
    expect(values.loki.schemaConfig.configs).toEqual([
      { from: "2026-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } },
    ]);
  });

  test("the compactor keeps its work on the persistent volume (mounted at /var/loki), so pending deletes survive a restart", () => {
    expect(values.loki.compactor.working_directory).toBe("/var/loki/compactor");
  });

  test("runs no rules sidecar: the lab ships no Loki alert rules", () => {
    expect(values.singleBinary.sidecar).toBe(false);
  });

  test("turns off what only scalable installs need, and authentication (one tenant)", () => {
    for (const key of ["gateway", "chunksCache", "resultsCache", "minio", "lokiCanary", "test"]) expect(values[key]).toEqual({ enabled: false });
    for (const key of ["read", "write", "backend"]) expect(values[key]).toEqual({ replicas: 0 });
    expect(values.loki.auth_enabled).toBe(false);
  });

  test("requests and limits come from the catalog", () => {
    expect(values.singleBinary.resources).toEqual({ requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1024Mi" } });
  });

  test("publishes the in-cluster push URL", () => {
    expect(loki.pushUrl).toBe("http://loki.observability.svc.cluster.local:3100/loki/api/v1/push");
  });

  test("fails when the retention is not a whole number of days", () => {
    expect(() => build({ retentionDays: 0.5 })).toThrow("Loki loki: retentionDays 0.5 must be a whole number of days >= 1");
  });

  test("fails when the schema start is not a date", () => {
    expect(() => build({ schemaFromDate: "yesterday" })).toThrow('schemaFromDate "yesterday" must be a date such as 2026-01-01');
  });
});
