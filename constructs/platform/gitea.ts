import { Construct } from "constructs";
import { GeneratedCredential } from "./app-secret";
import { ExposedApp } from "./exposed-app";
import type { WebAppProps } from "./web-app";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";

/**
 * Upstream Gitea chart (gitea.com/gitea/helm-gitea). Its defaults are not in ../shared/charts:
 * the keys used below were checked against the chart's 12.x parameter table (README of the 12.x
 * line, upgrade notes up to "To 12.0.0": `gitea.admin.existingSecret`, `gitea.admin.passwordMode`,
 * `service.ssh.*`, `persistence.*`, `strategy.type`, `valkey-cluster`/`valkey`/`postgresql-ha`/
 * `postgresql`), recorded in __tests__/fixtures/chart-keys/gitea-12.5.3.json.
 */
// renovate: datasource=helm depName=gitea registryUrl=https://dl.gitea.com/charts/
export const GITEA_CHART: ChartRef = { chart: "gitea", repository: "https://dl.gitea.com/charts/", version: "12.5.3" };

/** The chart's HTTP Service: `<release>-http`, port 3000. */
export const GITEA_HTTP_SERVICE = "gitea-http";
export const GITEA_HTTP_PORT = 3000;

export interface GiteaProps extends WebAppProps {
  readonly storageClassName: string;
  readonly storageGiB: number;
  /** MetalLB address of the SSH Service (port 22). */
  readonly sshLoadBalancerIp: string;
  /** Admin user name; the GitOps repository lives under it. @default "homelab" */
  readonly adminUsername?: string;
}

/**
 * Gitea, the lab's Git server and the GitOps source. One pod on SQLite: a homelab has a handful
 * of users and repositories, SQLite on a Longhorn volume is one file to back up, and it saves the
 * bundled PostgreSQL-HA + Valkey cluster (six more pods, ~1 GiB) the chart enables by default.
 * Consequence: one replica with the Recreate strategy (a ReadWriteOnce volume cannot be attached
 * by a surge pod on another node).
 */
export class Gitea extends Construct {
  public readonly app: HelmApp;
  public readonly admin: GeneratedCredential;
  public readonly adminUsername: string;
  public readonly web: ExposedApp;
  /** In-cluster base URL (no ingress, no TLS: what ArgoCD and the seeding use). */
  public readonly inClusterUrl: string;

  constructor(scope: Construct, id: string, props: GiteaProps) {
    super(scope, id);
    if (!Number.isInteger(props.storageGiB) || props.storageGiB < 1) {
      throw new Error(`Gitea ${id}: storageGiB ${props.storageGiB} must be a whole number of GiB >= 1`);
    }
    this.adminUsername = props.adminUsername ?? "homelab";
    // Gitea refuses "admin" and other reserved names for users.
    if (!/^[a-z][a-z0-9-]{2,38}$/.test(this.adminUsername) || ["admin", "api", "user", "org", "repo"].includes(this.adminUsername)) {
      throw new Error(`Gitea ${id}: admin user name "${this.adminUsername}" is reserved or invalid; use lowercase letters, digits and '-', e.g. homelab`);
    }
    const fqdn = `${props.hostname}.${props.domain}`;
    this.inClusterUrl = `http://${GITEA_HTTP_SERVICE}.${props.namespace}.svc.cluster.local:${GITEA_HTTP_PORT}`;

    this.admin = new GeneratedCredential(this, "admin", {
      namespace: props.namespace,
      secretName: "gitea-admin",
      extraData: { username: this.adminUsername },
      dependsOn: props.dependsOn,
    });

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? GITEA_CHART,
      // The Service names (gitea-http, gitea-ssh) derive from the release name.
      releaseName: "gitea",
      namespace: props.namespace,
      values: {
        replicaCount: 1,
        strategy: { type: "Recreate" },
        // Ingress comes from ExposedApp (Traefik + the lab's wildcard certificate).
        ingress: { enabled: false },
        service: {
          http: { type: "ClusterIP", port: GITEA_HTTP_PORT },
          ssh: {
            type: "LoadBalancer",
            port: 22,
            annotations: { "metallb.io/loadBalancerIPs": props.sshLoadBalancerIp },
          },
        },
        persistence: {
          enabled: true,
          size: `${props.storageGiB}Gi`,
          storageClass: props.storageClassName,
          accessModes: ["ReadWriteOnce"],
        },
        resources: kubernetesResources(props.resources),
        gitea: {
          admin: {
            existingSecret: this.admin.secretName,
            email: `${this.adminUsername}@${props.domain}`,
            // The Secret (Terraform state) stays the source of truth: a restart re-applies it.
            passwordMode: "keepUpdated",
          },
          config: {
            APP_NAME: "homelab Git",
            server: {
              DOMAIN: fqdn,
              ROOT_URL: `https://${fqdn}/`,
              SSH_DOMAIN: props.sshLoadBalancerIp,
              // Port in clone URLs (the Service's); the rootless image listens on 2222 behind it.
              SSH_PORT: 22,
              SSH_LISTEN_PORT: 2222,
            },
            database: { DB_TYPE: "sqlite3" },
            // Without Valkey: sessions in the database (survive restarts), in-memory cache, on-disk queue.
            session: { PROVIDER: "db" },
            cache: { ADAPTER: "memory" },
            queue: { TYPE: "level" },
            service: { DISABLE_REGISTRATION: true },
          },
        },
        "postgresql-ha": { enabled: false },
        postgresql: { enabled: false },
        "valkey-cluster": { enabled: false },
        valkey: { enabled: false },
      },
      dependsOn: [...(props.dependsOn ?? []), this.admin.secret],
    });

    // Same id as this construct: it names the app in the stack's `urls` output.
    this.web = new ExposedApp(this, id, {
      hostname: props.hostname,
      domain: props.domain,
      namespace: props.namespace,
      serviceName: GITEA_HTTP_SERVICE,
      servicePort: GITEA_HTTP_PORT,
      dependsOn: [this.app.release, ...(props.ingressReady ?? [])],
    });
  }
}
