import { TerraformOutput, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { PlatformComponent, Resources } from "../../config/apps";
import type { LabConfig } from "../../config/schema";
import { K3S_API_PORT } from "../../constructs/ansible/inventory";
import { backupThresholdRules, loadAlertRules, withRunbookBase } from "../../constructs/platform/alert-rules";
import { alertmanagerConfig, type NtfyAuth } from "../../constructs/platform/alertmanager-config";
import { MetricsStack } from "../../constructs/platform/metrics-stack";
import type { Namespace } from "../../constructs/platform/namespace";
import { Ntfy } from "../../constructs/platform/ntfy";
import { PveExporter } from "../../constructs/platform/pve-exporter";
import { APP_METRICS, scrapeConfigs } from "../../constructs/platform/scrape-configs";
import type { PlatformBase } from "./contract";

/** What the observability part of phase 5 built. */
export interface Observability {
  readonly ntfy?: Ntfy;
  readonly metrics?: MetricsStack;
  readonly pveExporter?: PveExporter;
}

export interface ObservabilityContext {
  readonly lab: LabConfig;
  readonly base: PlatformBase;
  /** The catalog entry of a component, if the lab installs it. */
  readonly component: (id: string) => PlatformComponent | undefined;
  readonly namespaceOf: (c: PlatformComponent) => Namespace;
  readonly domain: string;
}

/** Name of the Secret (in the metrics namespace) that holds Alertmanager's ntfy credential. */
const ALERTMANAGER_NTFY_SECRET_NAME = "alertmanager-ntfy";

function required(ctx: ObservabilityContext, id: string): PlatformComponent {
  const c = ctx.component(id);
  if (!c) throw new Error(`platform catalog (config/apps.ts) has no component "${id}" although monitoring is enabled`);
  return c;
}

/**
 * ntfy (when the lab hosts it), then the metrics stack: Prometheus scraping the cluster, the
 * Proxmox hosts and the Pi, the alert rules, and Alertmanager routing every alert to the ntfy topic.
 */
export function buildObservability(scope: Construct, ctx: ObservabilityContext): Observability {
  const { lab, base } = ctx;
  const monitoring = lab.platform.monitoring;
  const built: { -readonly [K in keyof Observability]: Observability[K] } = {};

  const ntfyComponent = ctx.component("ntfy");
  if (ntfyComponent) {
    built.ntfy = new Ntfy(scope, "ntfy", {
      namespace: ntfyComponent.namespace,
      hostname: ntfyComponent.webHostname!,
      domain: ctx.domain,
      resources: ntfyComponent.resources,
      storageClassName: base.storageClassName,
      storageGiB: lab.platform.apps.ntfy.storageGiB,
      topic: monitoring.ntfy.topic,
      ingressReady: base.ingressReady,
      dependsOn: [ctx.namespaceOf(ntfyComponent).resource, ...base.storageReady],
    });
    new TerraformOutput(scope, "ntfy_admin_password", {
      value: built.ntfy.admin.password,
      sensitive: true,
      description: 'Password of the ntfy user "admin": log in to the app or web UI with it and subscribe to the alert topic',
    });
  }
  if (!monitoring.enabled) return built;

  const prometheus = required(ctx, "prometheus");
  const ns = ctx.namespaceOf(prometheus);
  const namespace = prometheus.namespace;

  // Where the alerts go: the external ntfy when one is configured, else the lab's own.
  let ntfyBaseUrl: string;
  let auth: NtfyAuth;
  let credential: string;
  let publishAuthorization: string;
  let topicUrl: string;
  if (monitoring.ntfy.serverUrl !== undefined) {
    const token = new TerraformVariable(scope, "ntfy_token", {
      type: "string",
      sensitive: true,
      nullable: false,
      description: `Access token (tk_…) that may publish to ${monitoring.ntfy.topic} on ${monitoring.ntfy.serverUrl}: export TF_VAR_ntfy_token`,
    });
    ntfyBaseUrl = monitoring.ntfy.serverUrl.replace(/\/+$/, "");
    auth = { kind: "bearer", secretName: ALERTMANAGER_NTFY_SECRET_NAME, tokenKey: "token" };
    credential = token.stringValue;
    publishAuthorization = `Bearer ${token.stringValue}`;
    topicUrl = `${ntfyBaseUrl}/${monitoring.ntfy.topic}`;
  } else if (built.ntfy) {
    ntfyBaseUrl = built.ntfy.inClusterUrl;
    auth = { kind: "basic", username: "publisher", secretName: ALERTMANAGER_NTFY_SECRET_NAME, passwordKey: "password" };
    credential = built.ntfy.publisher.password;
    publishAuthorization = built.ntfy.publisherAuthorization;
    topicUrl = `${built.ntfy.web.url}/${monitoring.ntfy.topic}`;
  } else {
    // config/rules.ts (alertsHaveADestination) refuses this lab before synth.
    throw new Error("platform.monitoring: alerts have no destination; enable platform.apps.ntfy or set platform.monitoring.ntfy.serverUrl");
  }
  const ntfySecret = new SecretV1(scope, "alertmanager-ntfy", {
    metadata: { name: ALERTMANAGER_NTFY_SECRET_NAME, namespace, labels: { "app.kubernetes.io/managed-by": "homelab" } },
    data: { [auth.kind === "basic" ? auth.passwordKey : auth.tokenKey]: credential },
    dependsOn: [ns.resource],
  });
  new TerraformOutput(scope, "ntfy_topic_url", {
    value: topicUrl,
    description: "Subscribe to this topic (ntfy app or web) to receive the lab's alerts and Proxmox's notifications",
  });
  new TerraformOutput(scope, "ntfy_publish_authorization", {
    value: publishAuthorization,
    sensitive: true,
    description: "Authorization header Proxmox publishes with (pve-cluster.yml reads it from NTFY_PUBLISH_AUTHORIZATION)",
  });

  const pveToken = new TerraformVariable(scope, "pve_exporter_token", {
    type: "string",
    sensitive: true,
    nullable: false,
    description:
      "Secret of the read-only Proxmox API token monitoring@pve!exporter (PVEAuditor), printed once by pve-cluster.yml: export TF_VAR_pve_exporter_token",
  });
  const pveComponent = required(ctx, "pve-exporter");
  built.pveExporter = new PveExporter(scope, "pve-exporter", {
    namespace: pveComponent.namespace,
    tokenSecret: pveToken.stringValue,
    verifyTls: !lab.proxmox.insecureTls,
    resources: pveComponent.resources,
    dependsOn: [ctx.namespaceOf(pveComponent).resource],
  });

  const pi = lab.raspberryPi;
  const pods = Object.entries(APP_METRICS).flatMap(([id, target]) => {
    const c = ctx.component(id);
    return c ? [{ ...target, namespace: c.namespace }] : [];
  });
  const jobs = scrapeConfigs({
    servers: lab.k3s.servers.map((s) => ({ name: s.name, address: s.address })),
    proxmox: { exporterAddress: built.pveExporter.address, nodes: lab.proxmox.nodes.map((n) => ({ name: n.name, address: n.address })) },
    ...(pi ? { raspberryPi: { name: pi.name, address: pi.address, apiProbeUrl: `https://${lab.k3s.apiVip}:${K3S_API_PORT}/readyz` } } : {}),
    pods,
  });

  const res = (id: string): Resources => required(ctx, id).resources;
  built.metrics = new MetricsStack(scope, "metrics", {
    namespace,
    storageClassName: base.storageClassName,
    storageGiB: monitoring.storageGiB,
    retentionDays: monitoring.retentionDays,
    alertmanagerStorageGiB: monitoring.alertmanagerStorageGiB,
    scrapeIntervalSeconds: monitoring.scrapeIntervalSeconds,
    resources: {
      prometheus: res("prometheus"),
      alertmanager: res("alertmanager"),
      configReloader: res("config-reloader"),
      operator: res("prometheus-operator"),
      kubeStateMetrics: res("kube-state-metrics"),
      nodeExporter: res("node-exporter"),
    },
    scrapeConfigs: jobs,
    ruleFiles: {
      "homelab-alerts": withRunbookBase(loadAlertRules(), monitoring.runbookBaseUrl),
      // Without the Pi there is no off-node copy to date, and no backup alert to feed.
      ...(pi
        ? {
            "homelab-thresholds": backupThresholdRules({
              etcdSnapshotCron: lab.k3s.etcdSnapshotCron,
              longhornBackupCron: lab.platform.longhorn.backupSchedule,
              offsiteBackupCron: pi.offsiteBackup?.schedule,
              restoreDrillCron: pi.offsiteBackup?.drill.schedule,
            }),
          }
        : {}),
    },
    alertmanagerConfig: alertmanagerConfig({ ntfyBaseUrl, topic: monitoring.ntfy.topic, auth }),
    alertmanagerSecrets: [ALERTMANAGER_NTFY_SECRET_NAME],
    dependsOn: [ns.resource, ntfySecret, ...base.storageReady],
  });
  return built;
}
