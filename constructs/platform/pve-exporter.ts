import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { Resources } from "../../config/apps";
import { APP_TEMPLATE_CHART } from "./app-template";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";
import { PVE_EXPORTER_PORT } from "./scrape-configs";

/** prometheus-pve-exporter's image (github.com/prometheus-pve/prometheus-pve-exporter). */
// renovate: datasource=docker depName=prompve/prometheus-pve-exporter
export const PVE_EXPORTER_IMAGE = { repository: "prompve/prometheus-pve-exporter", tag: "3.5.2" } as const;

/**
 * The read-only Proxmox identity the exporter uses: created by ansible/roles/pve_api_token (the
 * built-in PVEAuditor role on `/`, a token with privilege separation and the same role), the
 * token's secret printed once by the playbook and handed to the platform stack as
 * TF_VAR_pve_exporter_token.
 */
export const PVE_MONITORING_USER = "monitoring@pve";
export const PVE_MONITORING_TOKEN_NAME = "exporter";

export interface PveExporterProps {
  readonly namespace: string;
  /** The token's secret (a sensitive Terraform variable's reference), never a literal. */
  readonly tokenSecret: string;
  /** Check the Proxmox API's certificate (false while it is the self-signed one: proxmox.insecureTls). */
  readonly verifyTls: boolean;
  readonly resources: Resources;
  /** @default the bjw-s app-template chart the lab uses for single-image apps */
  readonly chart?: ChartRef;
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * prometheus-pve-exporter as one small Deployment (bjw-s app-template) behind a ClusterIP Service.
 * It holds the API token and queries the node named by each scrape's `target` parameter; the
 * scrape jobs (scrape-configs.ts) ask for the cluster metrics once and for each node's own.
 * The token reaches the pod through a Secret whose value is a sensitive variable: it is in the
 * Terraform state, never in cdktf.out or the repository.
 */
export class PveExporter extends Construct {
  public readonly app: HelmApp;
  public readonly secret: SecretV1;
  /** host:port of the Service, for the scrape jobs. */
  public readonly address: string;

  constructor(scope: Construct, id: string, props: PveExporterProps) {
    super(scope, id);
    if (!props.tokenSecret.includes("${")) {
      throw new Error(`PveExporter ${id}: tokenSecret is a literal; pass a sensitive variable's reference (TF_VAR_pve_exporter_token)`);
    }
    const name = "pve-exporter";
    this.address = `${name}.${props.namespace}.svc.cluster.local:${PVE_EXPORTER_PORT}`;
    this.secret = new SecretV1(this, "credentials", {
      metadata: { name: `${name}-credentials`, namespace: props.namespace, labels: { "app.kubernetes.io/managed-by": "homelab" } },
      data: { PVE_TOKEN_VALUE: props.tokenSecret },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? APP_TEMPLATE_CHART,
      releaseName: name,
      namespace: props.namespace,
      values: {
        controllers: {
          [name]: {
            containers: {
              app: {
                image: { repository: PVE_EXPORTER_IMAGE.repository, tag: PVE_EXPORTER_IMAGE.tag },
                // The exporter takes its settings from PVE_* variables when PVE_USER is set.
                env: {
                  PVE_USER: PVE_MONITORING_USER,
                  PVE_TOKEN_NAME: PVE_MONITORING_TOKEN_NAME,
                  PVE_VERIFY_SSL: props.verifyTls ? "true" : "false",
                },
                envFrom: [{ secretRef: { name: `${name}-credentials` } }],
                resources: kubernetesResources(props.resources),
                probes: {
                  liveness: { enabled: true, type: "TCP", port: PVE_EXPORTER_PORT },
                  readiness: { enabled: true, type: "TCP", port: PVE_EXPORTER_PORT },
                },
                // The image runs as nobody; gunicorn needs a writable /tmp, so the root filesystem stays writable.
                securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
              },
            },
          },
        },
        service: {
          [name]: { controller: name, forceRename: name, ports: { http: { port: PVE_EXPORTER_PORT } } },
        },
      },
      dependsOn: [...(props.dependsOn ?? []), this.secret],
    });
  }
}
