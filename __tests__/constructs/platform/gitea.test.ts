import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Gitea, GITEA_CHART } from "../../../constructs/platform/gitea";
import { FIXTURES, loadLab } from "../../helpers";
import { catalogResources, newStack, only, resourcesOf, synthJson } from "./apps-support";

const lab = loadLab();

function build(overrides: Partial<ConstructorParameters<typeof Gitea>[2]> = {}) {
  const stack = newStack();
  const gitea = new Gitea(stack, "gitea", {
    namespace: "gitea",
    hostname: "gitea",
    domain: lab.network.domain,
    storageClassName: "longhorn",
    storageGiB: lab.platform.apps.gitea.storageGiB,
    sshLoadBalancerIp: lab.loadBalancer.gitSshIp,
    resources: catalogResources(lab, "gitea"),
    ...overrides,
  });
  return { stack, gitea, json: synthJson(stack) };
}

/** Key paths of `values` missing from a hand-written key fixture (open types accept any child). */
function unknownKeys(values: Record<string, unknown>, keys: Record<string, string>, prefix = ""): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    const type = keys[path];
    if (type === undefined) return [path];
    if (/(^|\|)(map|subchart|any)($|\|)/.test(type)) return [];
    return v && typeof v === "object" && !Array.isArray(v) ? unknownKeys(v as Record<string, unknown>, keys, path) : [];
  });
}

describe("Gitea", () => {
  const { gitea, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);

  test("pins the upstream chart at an exact version", () => {
    expect(release).toMatchObject({ chart: "gitea", repository: "https://dl.gitea.com/charts/", version: "12.5.3", name: "gitea" });
  });

  test("every value key exists in the chart's 12.x parameter list (hand-written fixture)", () => {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, "chart-keys", `gitea-${GITEA_CHART.version}.json`), "utf8"));
    expect(fixture.source).toMatch(/12\.5\.3/);
    expect(unknownKeys(gitea.app.values as Record<string, unknown>, fixture.keys)).toEqual([]);
  });

  test("runs on SQLite with every bundled database and cache off", () => {
    expect(values.gitea.config.database).toEqual({ DB_TYPE: "sqlite3" });
    for (const sub of ["postgresql-ha", "postgresql", "valkey-cluster", "valkey"]) expect(values[sub]).toEqual({ enabled: false });
    expect(values.strategy).toEqual({ type: "Recreate" });
  });

  test("is one pod on a ReadWriteOnce volume, whose sessions, cache and queue need no Valkey", () => {
    // One replica: SQLite and the RWO volume cannot be shared by a second pod.
    expect(values.replicaCount).toBe(1);
    expect(values.persistence.accessModes).toEqual(["ReadWriteOnce"]);
    // Sessions in the database survive a restart; cache in memory; queue on disk (level).
    expect(values.gitea.config.session).toEqual({ PROVIDER: "db" });
    expect(values.gitea.config.cache).toEqual({ ADAPTER: "memory" });
    expect(values.gitea.config.queue).toEqual({ TYPE: "level" });
  });

  test("refuses self-registration: accounts are made by the admin", () => {
    expect(values.gitea.config.service).toEqual({ DISABLE_REGISTRATION: true });
  });

  test("serves HTTP on the ClusterIP port the ingress and ArgoCD's in-cluster URL use", () => {
    expect(values.service.http).toEqual({ type: "ClusterIP", port: 3000 });
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].http.path[0].backend.service.port.number).toBe(values.service.http.port);
    expect(gitea.inClusterUrl).toBe(`http://gitea-http.gitea.svc.cluster.local:${values.service.http.port}`);
  });

  test("keeps repositories on a Longhorn volume of the configured size", () => {
    expect(values.persistence).toMatchObject({ enabled: true, storageClass: "longhorn", size: "10Gi" });
  });

  test("serves SSH on the fixed MetalLB address and HTTP only through the lab ingress", () => {
    expect(values.service.ssh).toEqual({ type: "LoadBalancer", port: 22, annotations: { "metallb.io/loadBalancerIPs": "192.168.1.62" } });
    expect(values.ingress).toEqual({ enabled: false });
    expect(values.gitea.config.server).toMatchObject({
      DOMAIN: "gitea.home.arpa",
      ROOT_URL: "https://gitea.home.arpa/",
      SSH_DOMAIN: "192.168.1.62",
      SSH_PORT: 22,
      SSH_LISTEN_PORT: 2222,
    });
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].host).toBe("gitea.home.arpa");
    expect(ingress.spec.rule[0].http.path[0].backend.service).toEqual({ name: "gitea-http", port: { number: 3000 } });
    expect(gitea.web.url).toBe("https://gitea.home.arpa");
  });

  test("reads the admin from a Secret holding a generated password", () => {
    expect(values.gitea.admin).toEqual({ existingSecret: "gitea-admin", email: "homelab@home.arpa", passwordMode: "keepUpdated" });
    const [, secret] = only(json, "kubernetes_secret_v1");
    const [passwordId, password] = only(json, "random_password");
    expect(secret.metadata.name).toBe("gitea-admin");
    expect(secret.data).toEqual({ username: "homelab", password: `\${random_password.${passwordId}.result}` });
    expect(password).toMatchObject({ special: false, length: 32 });
    expect(release.depends_on).toContain(`kubernetes_secret_v1.${only(json, "kubernetes_secret_v1")[0]}`);
  });

  test("requests and limits come from the catalog", () => {
    expect(values.resources).toEqual({ requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } });
  });

  test("exposes the in-cluster URL ArgoCD uses", () => {
    expect(gitea.inClusterUrl).toBe("http://gitea-http.gitea.svc.cluster.local:3000");
    expect(resourcesOf(json, "kubernetes_ingress_v1")).toHaveLength(1);
  });

  test("fails when the volume size is not a whole number of GiB", () => {
    expect(() => build({ storageGiB: 0 })).toThrow("Gitea gitea: storageGiB 0 must be a whole number of GiB >= 1");
  });

  test("fails when the admin user name is reserved by Gitea", () => {
    expect(() => build({ adminUsername: "admin" })).toThrow('admin user name "admin" is reserved or invalid');
  });
});
