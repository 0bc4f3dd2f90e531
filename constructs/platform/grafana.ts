import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { GeneratedCredential } from "./app-secret";
import { ExposedApp } from "./exposed-app";
import type { WebAppProps } from "./web-app";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";

/** grafana-community `grafana` chart; keys checked against ../shared/charts/grafana/12.11.1/values.yaml. */
export const GRAFANA_CHART: ChartRef = {
  chart: "grafana",
  repository: "https://grafana-community.github.io/helm-charts",
  // renovate: datasource=helm depName=grafana registryUrl=https://grafana-community.github.io/helm-charts
  version: "12.11.1",
};

/** Where the provisioned dashboards appear in Grafana, and the provider/ConfigMap that ships them. */
export const GRAFANA_DASHBOARD_FOLDER = "homelab";

export interface GrafanaProps extends WebAppProps {
  readonly storageClassName: string;
  readonly storageGiB: number;
  /** Loki's in-cluster URL: the default datasource. */
  readonly lokiUrl: string;
  /** Dashboards to provision: file name (without .json) to the dashboard model. */
  readonly dashboards: Record<string, object>;
}

/**
 * Grafana with a generated admin password (existing Secret), Loki provisioned as the default
 * datasource and the project's dashboards provisioned from a ConfigMap (read-only in the UI:
 * change them in the repository). SQLite on a small Longhorn volume keeps users and preferences.
 */
export class Grafana extends Construct {
  public readonly app: HelmApp;
  public readonly admin: GeneratedCredential;
  public readonly dashboards: ConfigMapV1;
  public readonly web: ExposedApp;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    if (!Number.isInteger(props.storageGiB) || props.storageGiB < 1) {
      throw new Error(`Grafana ${id}: storageGiB ${props.storageGiB} must be a whole number of GiB >= 1`);
    }
    const names = Object.keys(props.dashboards);
    if (names.length === 0) {
      throw new Error(`Grafana ${id}: no dashboards given; provision at least the cluster-health dashboard`);
    }
    for (const name of names) {
      const json = JSON.stringify(props.dashboards[name]);
      if (!/^[a-z0-9-]+$/.test(name)) {
        throw new Error(`Grafana ${id}: dashboard name "${name}" must use lowercase letters, digits and '-'`);
      }
      // Terraform would read "${…}" and "%{…}" inside the JSON as its own template syntax.
      if (json.includes("${") || json.includes("%{")) {
        throw new Error(`Grafana ${id}: dashboard "${name}" contains "\${" or "%{"; write Grafana variables as $name`);
      }
    }
    const fqdn = `${props.hostname}.${props.domain}`;

    this.admin = new GeneratedCredential(this, "admin", {
      namespace: props.namespace,
      secretName: "grafana-admin",
      passwordKey: "admin-password",
      extraData: { "admin-user": "admin" },
      dependsOn: props.dependsOn,
    });

    const configMapName = `grafana-dashboards-${GRAFANA_DASHBOARD_FOLDER}`;
    this.dashboards = new ConfigMapV1(this, "dashboards", {
      metadata: { name: configMapName, namespace: props.namespace, labels: { "app.kubernetes.io/managed-by": "homelab" } },
      data: Object.fromEntries(names.sort().map((n) => [`${n}.json`, JSON.stringify(props.dashboards[n], null, 2)])),
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? GRAFANA_CHART,
      releaseName: "grafana",
      namespace: props.namespace,
      values: {
        // A ReadWriteOnce volume: the new pod can only start once the old one released it.
        deploymentStrategy: { type: "Recreate" },
        admin: { existingSecret: this.admin.secretName, userKey: "admin-user", passwordKey: "admin-password" },
        persistence: {
          enabled: true,
          type: "pvc",
          storageClassName: props.storageClassName,
          size: `${props.storageGiB}Gi`,
          accessModes: ["ReadWriteOnce"],
        },
        resources: kubernetesResources(props.resources),
        service: { type: "ClusterIP", port: 80 },
        "grafana.ini": {
          server: { domain: fqdn, root_url: `https://${fqdn}/` },
          analytics: { check_for_updates: false },
        },
        datasources: {
          "datasources.yaml": {
            apiVersion: 1,
            datasources: [
              { name: "Loki", type: "loki", uid: "loki", access: "proxy", url: props.lokiUrl, isDefault: true, editable: false },
            ],
          },
        },
        dashboardProviders: {
          "dashboardproviders.yaml": {
            apiVersion: 1,
            providers: [
              {
                name: GRAFANA_DASHBOARD_FOLDER,
                orgId: 1,
                folder: "Homelab",
                type: "file",
                disableDeletion: true,
                editable: false,
                options: { path: `/var/lib/grafana/dashboards/${GRAFANA_DASHBOARD_FOLDER}` },
              },
            ],
          },
        },
        dashboardsConfigMaps: { [GRAFANA_DASHBOARD_FOLDER]: configMapName },
      },
      dependsOn: [...(props.dependsOn ?? []), this.admin.secret, this.dashboards],
    });

    this.web = new ExposedApp(this, id, {
      hostname: props.hostname,
      domain: props.domain,
      namespace: props.namespace,
      serviceName: "grafana",
      servicePort: 80,
      dependsOn: [this.app.release, ...(props.ingressReady ?? [])],
    });
  }
}
