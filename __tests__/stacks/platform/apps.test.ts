import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { platformComponents } from "../../../config/apps";
import { HelmApp } from "../../../constructs/platform/helm-app";
import { buildPlatformApps } from "../../../stacks/platform/apps";
import { fakeBase, newStack, resourcesOf, synthJson } from "../../constructs/platform/apps-support";
import { labWith, loadLab, validLab } from "../../helpers";
import { TEST_CLUSTER_ACCESS } from "../../support/terraform";
import { recordedAs, unwrap } from "../../support/read-recorder";

function synthApps(lab = loadLab()) {
  const stack = newStack("platform");
  const apps = buildPlatformApps(stack, lab, fakeBase(stack), TEST_CLUSTER_ACCESS);
  return { stack, apps, json: synthJson(stack) };
}

const { stack, json } = synthApps();
const releases = Object.fromEntries(resourcesOf(json, "helm_release").map(([id, r]) => [r.name, recordedAs(r, { id, ...unwrap(r) })]));
const ref = (name: string) => `helm_release.${releases[name].id}`;

describe("platform apps layer (fake base)", () => {
  test("installs every app at its pinned chart version", () => {
    const pinned = Object.fromEntries(HelmApp.all(stack).map((h) => [h.node.scope!.node.id, `${h.chart.chart.replace(/^.*\//, "")}@${h.chart.version}`]));
    expect(Object.values(releases).map((r: any) => r.version).sort()).toEqual(HelmApp.all(stack).map((h) => h.chart.version).sort());
    expect(pinned).toEqual({
      gitea: "gitea@12.5.3",
      argocd: "argo-cd@10.1.1",
      gitops: "gitops-root@0.1.0",
      loki: "loki@18.11.0",
      metrics: "kube-prometheus-stack@88.5.3",
      ntfy: "app-template@4.1.1",
      "pve-exporter": "app-template@4.1.1",
      alloy: "alloy@1.11.1",
      grafana: "grafana@12.11.1",
      vaultwarden: "vaultwarden@0.43.1",
      adguard: "app-template@4.1.1",
    });
  });

  test("creates one namespace per catalog namespace, and every release waits for its own", () => {
    const namespaces = resourcesOf(json, "kubernetes_namespace_v1").map(([, n]) => n.metadata.name).sort();
    const appIds = ["gitea", "argocd", "loki", "alloy", "grafana", "vaultwarden", "adguard", "ntfy", "prometheus"];
    const expected = [...new Set(platformComponents(loadLab()).filter((c) => appIds.includes(c.id)).map((c) => c.namespace))].sort();
    expect(namespaces).toEqual(expected);
    for (const release of Object.values(releases) as any[]) {
      if (release.name === "gitops-root") continue;
      const [nsId] = resourcesOf(json, "kubernetes_namespace_v1").find(([, n]) => n.metadata.name === release.namespace)!;
      expect([release.name, release.depends_on]).toEqual([release.name, expect.arrayContaining([`kubernetes_namespace_v1.${nsId}`])]);
    }
  });

  test("stateful apps wait for Longhorn, LoadBalancer apps for MetalLB", () => {
    for (const name of ["gitea", "loki", "adguard"]) expect(releases[name].depends_on).toContain("null_resource.longhorn-ready");
    for (const name of ["gitea", "adguard"]) expect(releases[name].depends_on).toContain("null_resource.metallb-ready");
    const [, pvc] = resourcesOf(json, "kubernetes_persistent_volume_claim_v1")[0];
    expect(pvc.depends_on).toContain("null_resource.longhorn-ready");
  });

  test("every ingress waits for its app's release and for Traefik", () => {
    const ingresses = resourcesOf(json, "kubernetes_ingress_v1");
    expect(ingresses).toHaveLength(6);
    for (const [id, ingress] of ingresses) {
      expect([id, ingress.depends_on]).toEqual([id, expect.arrayContaining(["null_resource.traefik-ready", expect.stringMatching(/^helm_release\./)])]);
    }
  });

  test("GitOps ordering: Gitea, then the seeding, then (with ArgoCD) the root Application", () => {
    const [seedId, seed] = resourcesOf(json, "null_resource").find(([id]) => id.startsWith("gitops_seed"))!;
    expect(seed.depends_on).toEqual([ref("gitea")]);
    expect(seed.triggers.gitea_release).toBe(`\${${ref("gitea")}.id}`);
    expect(releases["gitops-root"].depends_on).toEqual(expect.arrayContaining([ref("argocd"), `null_resource.${seedId}`]));
  });

  test("no secret is written in the configuration: passwords are references, outputs sensitive", () => {
    for (const [name, output] of Object.entries<any>(json.output)) {
      if (name.endsWith("_password")) expect([name, output.sensitive]).toEqual([name, true]);
    }
    for (const release of Object.values(releases) as any[]) {
      for (const s of release.set_sensitive ?? []) expect(s.value).toMatch(/^\$\{(random_password|var)\.[^}]+\}$/);
      expect(release.values[0]).not.toMatch(/random_password\.[^}]+\.result/);
    }
    for (const [, secret] of resourcesOf(json, "kubernetes_secret_v1")) {
      for (const [key, value] of Object.entries<string>(secret.data)) {
        if (/password/i.test(key)) expect(value).toMatch(/^\$\{random_password\.[^}]+\.result\}$/);
      }
    }
    // The local-exec command never carries the password; only its environment does.
    const seed = resourcesOf(json, "null_resource").find(([id]) => id.startsWith("gitops_seed"))![1];
    expect(seed.provisioner[0]["local-exec"].command).not.toContain("random_password");
  });

  test("values are plain YAML, without anchors or aliases", () => {
    for (const r of Object.values(releases) as any[]) expect([r.name, /(^|[\s:-])[&*]a\d+\b/m.test(r.values[0])]).toEqual([r.name, false]);
  });

  test("every app release sets resource requests and limits", () => {
    for (const name of ["gitea", "argocd", "loki", "alloy", "grafana", "vaultwarden", "adguard"]) {
      const values = release(name);
      const text = JSON.stringify(values);
      expect([name, /"requests":\{"cpu":"\d+m","memory":"\d+Mi"\}/.test(text), /"limits":\{"memory":"\d+Mi"/.test(text)]).toEqual([name, true, true]);
    }
  });

  test("every generated admin password is 32 letters and digits with two of each kind, so no app's complexity rule refuses it", () => {
    const passwords = resourcesOf(json, "random_password").map(([, p]) => p);
    expect(passwords.length).toBeGreaterThan(3);
    for (const password of passwords) expect(password).toEqual({ length: 32, special: false, min_lower: 2, min_upper: 2, min_numeric: 2 });
  });

  test("every ingress routes the whole host (path / as a Prefix) to its app, in the app's namespace", () => {
    for (const [, ingress] of resourcesOf(json, "kubernetes_ingress_v1")) {
      const app = ingress.metadata.name;
      expect([app, ingress.metadata.namespace]).toEqual([app, platformComponents(loadLab()).find((c) => c.id === app)!.namespace]);
      expect(ingress.spec.rule[0].http.path[0]).toMatchObject({ path: "/", path_type: "Prefix" });
    }
  });

  test("the GitOps seed reaches Gitea through its own Service and port, with the cluster access the k3s stack signed", () => {
    const [[, seed]] = resourcesOf(json, "null_resource").filter(([id]) => id.startsWith("gitops_seed"));
    const env = seed.provisioner[0]["local-exec"].environment;
    const gitea = release("gitea") as any;
    const [, giteaIngress] = resourcesOf(json, "kubernetes_ingress_v1").find(([, i]) => i.metadata.name === "gitea")!;
    expect(env).toMatchObject({ GITEA_NAMESPACE: "gitea", GITEA_SERVICE: "gitea-http", GITEA_PORT: "3000" });
    expect([env.GITEA_SERVICE, Number(env.GITEA_PORT)]).toEqual([giteaIngress.spec.rule[0].http.path[0].backend.service.name, gitea.service.http.port]);
    // No kubeconfig file on the deploy machine: the script builds one from the cluster access it is given.
    expect(env.KUBECONFIG).toBeUndefined();
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["KUBE_SERVER", "KUBE_CA_PEM", "KUBE_CLIENT_CERT_PEM", "KUBE_CLIENT_KEY_PEM"]));
  });

  test("ArgoCD lists the repository under a name of its own, next to its URL", () => {
    const [, repo] = resourcesOf(json, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "gitops-repository")!;
    expect(repo.data).toMatchObject({ type: "git", name: "homelab-gitops", url: "http://gitea-http.gitea.svc.cluster.local:3000/homelab/gitops.git" });
  });

  test("Vaultwarden's claim is made in its namespace without Terraform waiting for the bind: the release waits for its pod, which needs it", () => {
    const [, pvc] = resourcesOf(json, "kubernetes_persistent_volume_claim_v1")[0];
    expect(pvc.metadata).toMatchObject({ name: "vaultwarden-data", namespace: "vaultwarden" });
    expect(pvc.wait_until_bound).toBe(false);
  });

  test("Grafana's dashboards ConfigMap carries every dashboard file of the project unchanged", () => {
    const dir = join(__dirname, "..", "..", "..", "dashboards");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    const [[, configMap]] = resourcesOf(json, "kubernetes_config_map_v1").filter(([, c]) => c.metadata.name.startsWith("grafana-dashboards"));
    expect(Object.keys(configMap.data).sort()).toEqual(files);
    // Their queries are checked in __tests__/dashboards.test.ts; here, that they arrive as written.
    for (const file of files) expect(JSON.parse(configMap.data[file])).toEqual(JSON.parse(readFileSync(join(dir, file), "utf8")));
    expect(configMap.metadata.namespace).toBe("observability");
  });

  test("exposes every web app of the phase through an ingress", () => {
    const ingressHosts = resourcesOf(json, "kubernetes_ingress_v1").map(([, i]) => i.spec.rule[0].host).sort();
    expect(ingressHosts).toEqual([
      "adguard.home.arpa",
      "argocd.home.arpa",
      "gitea.home.arpa",
      "grafana.home.arpa",
      "ntfy.home.arpa",
      "vaultwarden.home.arpa",
    ]);
  });

  test("an app disabled in the config is not installed (and without Gitea, no GitOps bootstrap)", () => {
    const lab = validLab(labWith({ "platform.apps.gitea.enabled": false, "platform.apps.vaultwarden.enabled": false }));
    const names = resourcesOf(synthApps(lab).json, "helm_release").map(([, r]) => r.name);
    expect(names).not.toContain("gitea");
    expect(names).not.toContain("vaultwarden");
    expect(names).not.toContain("gitops-root");
    expect(names).toContain("argocd");
  });

  test("AdGuard Home falls back to the LAN's resolvers when no upstream is configured", () => {
    const lab = validLab(labWith({ "platform.apps.adguard.upstreams": [] }));
    const [, secret] = resourcesOf(synthApps(lab).json, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "adguard-initial-config")!;
    expect(parse(secret.data["AdGuardHome.yaml"]).dns.upstream_dns).toEqual(lab.network.dnsServers);
  });
});

function release(name: string): Record<string, unknown> {
  return parse(releases[name].values[0]);
}
