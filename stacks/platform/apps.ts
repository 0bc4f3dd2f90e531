import { join } from "node:path";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { dnsRewrites, platformComponents, servingDomain, type PlatformComponent } from "../../config/apps";
import type { LabConfig } from "../../config/schema";
import { AdGuardHome } from "../../constructs/platform/adguard-home";
import { Alloy } from "../../constructs/platform/alloy";
import { ArgoCd } from "../../constructs/platform/argocd";
import { Gitea, GITEA_HTTP_PORT, GITEA_HTTP_SERVICE } from "../../constructs/platform/gitea";
import { GitopsBootstrap, GITOPS_ROOT_CHART_VERSION } from "../../constructs/platform/gitops-bootstrap";
import { localChart } from "../../constructs/platform/helm-app";
import { nullProvider, randomProvider } from "../../constructs/platform/providers";
import { Grafana } from "../../constructs/platform/grafana";
import { Loki } from "../../constructs/platform/loki";
import { Vaultwarden } from "../../constructs/platform/vaultwarden";
import clusterHealthDashboard from "../../dashboards/cluster-health.json";
import logsDashboard from "../../dashboards/logs.json";
import { METRICS_DASHBOARDS } from "../../dashboards";
import type { ClusterAccess } from "../../constructs/kubernetes-access";
import type { PlatformBase } from "./contract";
import { buildObservability, type Observability } from "./observability";

/** What phase 5 built, for the stack's outputs and the tests. */
export interface PlatformApps {
  readonly gitea?: Gitea;
  readonly argocd?: ArgoCd;
  readonly gitops?: GitopsBootstrap;
  readonly loki?: Loki;
  readonly alloy?: Alloy;
  readonly grafana?: Grafana;
  readonly vaultwarden?: Vaultwarden;
  readonly adguard?: AdGuardHome;
  readonly observability: Observability;
}

/** The project root at synth: gitops/ and scripts/gitops-seed.sh are copied into the stack from there. */
const PROJECT_ROOT = join(__dirname, "..", "..");

/** A generated admin password as a sensitive output (`cdktf output platform` shows it on request). */
function adminPasswordOutput(scope: Construct, name: string, password: string, description: string): void {
  new TerraformOutput(scope, name, { value: password, sensitive: true, description });
}

/** Phase 5: Gitea, ArgoCD + GitOps bootstrap, observability, Vaultwarden, AdGuard Home. */
export function buildPlatformApps(scope: Construct, lab: LabConfig, base: PlatformBase, access: ClusterAccess): PlatformApps {
  // Generated passwords (random) and the GitOps seeding (null); added once per stack, whoever needs them first.
  randomProvider(scope);
  nullProvider(scope);

  const catalog = new Map(platformComponents(lab).map((c) => [c.id, c]));
  const component = (id: string): PlatformComponent | undefined => catalog.get(id);
  const apps = lab.platform.apps;
  const domain = servingDomain(lab);
  const storage = { storageClassName: base.storageClassName };

  const namespaceOf = (c: PlatformComponent) => base.namespaces.of(c.namespace);

  // What every web app takes from the catalog and the base layer.
  const webApp = (c: PlatformComponent) => ({
    namespace: c.namespace,
    hostname: c.webHostname!,
    domain,
    resources: c.resources,
    ingressReady: base.ingressReady,
  });

  const built: { -readonly [K in keyof PlatformApps]?: PlatformApps[K] } = {};

  const gitea = component("gitea");
  if (gitea) {
    built.gitea = new Gitea(scope, "gitea", {
      ...webApp(gitea),
      ...storage,
      storageGiB: apps.gitea.storageGiB,
      sshLoadBalancerIp: lab.loadBalancer.gitSshIp,
      dependsOn: [namespaceOf(gitea).resource, ...base.storageReady, ...base.loadBalancerReady],
    });
    adminPasswordOutput(scope, "gitea_admin_password", built.gitea.admin.password, `Password of the Gitea admin user "${built.gitea.adminUsername}"`);
  }

  const argocd = component("argocd");
  if (argocd) {
    built.argocd = new ArgoCd(scope, "argocd", {
      ...webApp(argocd),
      dependsOn: [namespaceOf(argocd).resource],
    });
    adminPasswordOutput(scope, "argocd_admin_password", built.argocd.admin.password, 'Password of the ArgoCD user "admin"');
  }

  if (built.gitea && built.argocd && gitea && argocd) {
    built.gitops = new GitopsBootstrap(scope, "gitops", {
      giteaInClusterUrl: built.gitea.inClusterUrl,
      giteaNamespace: gitea.namespace,
      giteaHttpService: GITEA_HTTP_SERVICE,
      giteaHttpPort: GITEA_HTTP_PORT,
      giteaAdminUsername: built.gitea.adminUsername,
      giteaAdminPassword: built.gitea.admin.password,
      giteaRelease: built.gitea.app.release,
      argocdNamespace: argocd.namespace,
      argocdRelease: built.argocd.app.release,
      projectRoot: PROJECT_ROOT,
      rootChart: localChart("gitops-root", GITOPS_ROOT_CHART_VERSION),
      access,
    });
    new TerraformOutput(scope, "gitops_repository", {
      value: built.gitops.repositoryUrl,
      description: "In-cluster URL of the GitOps repository ArgoCD follows (web: the Gitea URL)",
    });
  }

  // ntfy and the metrics stack first: Grafana reads Prometheus and Alertmanager.
  const observability = buildObservability(scope, { lab, base, component, namespaceOf, domain });
  built.observability = observability;

  const loki = component("loki");
  const alloy = component("alloy");
  const grafana = component("grafana");
  if (loki && alloy && grafana) {
    const ns = namespaceOf(grafana);
    built.loki = new Loki(scope, "loki", {
      namespace: loki.namespace,
      ...storage,
      storageGiB: apps.loki.storageGiB,
      retentionDays: apps.loki.retentionDays,
      resources: loki.resources,
      dependsOn: [namespaceOf(loki).resource, ...base.storageReady],
    });
    built.alloy = new Alloy(scope, "alloy", {
      namespace: alloy.namespace,
      lokiPushUrl: built.loki.pushUrl,
      resources: alloy.resources,
      // Logs shipped before Loki is up would only be retried; wait for it.
      dependsOn: [namespaceOf(alloy).resource, built.loki.app.release],
    });
    built.grafana = new Grafana(scope, "grafana", {
      ...webApp(grafana),
      ...storage,
      storageGiB: apps.grafana.storageGiB,
      lokiUrl: built.loki.url,
      ...(observability.metrics
        ? { prometheusUrl: observability.metrics.prometheusUrl, alertmanagerUrl: observability.metrics.alertmanagerUrl }
        : {}),
      dashboards: {
        "cluster-health": clusterHealthDashboard,
        logs: logsDashboard,
        ...(observability.metrics ? METRICS_DASHBOARDS : {}),
      },
      dependsOn: [ns.resource, ...base.storageReady],
    });
    adminPasswordOutput(scope, "grafana_admin_password", built.grafana.admin.password, 'Password of the Grafana user "admin"');
  }

  const vaultwarden = component("vaultwarden");
  if (vaultwarden) {
    built.vaultwarden = new Vaultwarden(scope, "vaultwarden", {
      ...webApp(vaultwarden),
      ...storage,
      storageGiB: apps.vaultwarden.storageGiB,
      signupsAllowed: apps.vaultwarden.signupsAllowed,
      dependsOn: [namespaceOf(vaultwarden).resource, ...base.storageReady],
    });
  }

  const adguard = component("adguard");
  if (adguard) {
    built.adguard = new AdGuardHome(scope, "adguard", {
      ...webApp(adguard),
      dnsLoadBalancerIp: lab.loadBalancer.dnsIp,
      upstreams: apps.adguard.upstreams.length > 0 ? apps.adguard.upstreams : lab.network.dnsServers,
      bootstrapDns: lab.network.dnsServers,
      rewrites: dnsRewrites(lab),
      ...storage,
      dependsOn: [namespaceOf(adguard).resource, ...base.storageReady, ...base.loadBalancerReady],
    });
    adminPasswordOutput(scope, "adguard_admin_password", built.adguard.admin.password, 'Password of the AdGuard Home user "admin" (set at first start; the UI can change it)');
  }

  return built as PlatformApps;
}
