import { parse } from "yaml";
import { platformComponents } from "../../../config/apps";
import { HelmApp } from "../../../constructs/platform/helm-app";
import { buildPlatformApps } from "../../../stacks/platform/apps";
import { fakeBase, newStack, resourcesOf, synthJson } from "../../constructs/platform/apps-support";
import { labWith, loadLab, validLab } from "../../helpers";
import { TEST_CLUSTER_ACCESS } from "../../support/terraform";

function synthApps(lab = loadLab()) {
  const stack = newStack("platform");
  const apps = buildPlatformApps(stack, lab, fakeBase(stack), TEST_CLUSTER_ACCESS);
  return { stack, apps, json: synthJson(stack) };
}

const { stack, json } = synthApps();
const releases = Object.fromEntries(resourcesOf(json, "helm_release").map(([id, r]) => [r.name, { id, ...r }]));
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
