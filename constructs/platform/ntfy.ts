import { Construct } from "constructs";
import { Fn } from "cdktf";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { stringify } from "yaml";
import { APP_TEMPLATE_CHART } from "./app-template";
import { GeneratedCredential } from "./app-secret";
import { ExposedApp } from "./exposed-app";
import { HelmApp } from "./helm-app";
import { kubernetesResources } from "./resources";
import type { WebAppProps } from "./web-app";

/** ntfy's image. 2.14 is the first to provision users and ACL entries from server.yml (auth-users, auth-access). */
// renovate: datasource=docker depName=binwiederhier/ntfy
export const NTFY_IMAGE = { repository: "binwiederhier/ntfy", tag: "v2.14.0" } as const;

export const NTFY_PORT = 8080;
const CONFIG_DIR = "/etc/ntfy";
const DATA_DIR = "/var/cache/ntfy";
/** ntfy's image has no user of its own; this one owns the data volume (fsGroup). */
const RUN_AS = 1000;

/** The user Alertmanager and Proxmox publish as. */
export const NTFY_PUBLISHER = "publisher";

export interface NtfyProps extends WebAppProps {
  readonly storageClassName: string;
  /** Message cache and user database. */
  readonly storageGiB: number;
  /** The topic the lab publishes to (alerts, Proxmox notifications). */
  readonly topic: string;
}

/** The server.yml ntfy starts with; the bcrypt hashes are Terraform references (state only). */
export function ntfyServerConfig(props: {
  readonly baseUrl: string;
  readonly topic: string;
  readonly adminBcrypt: string;
  readonly publisherBcrypt: string;
}): string {
  return stringify(
    {
      "base-url": props.baseUrl,
      "listen-http": `:${NTFY_PORT}`,
      "behind-proxy": true,
      "cache-file": `${DATA_DIR}/cache.db`,
      "cache-duration": "72h",
      "auth-file": `${DATA_DIR}/user.db`,
      // A private server: nothing without a login.
      "auth-default-access": "deny-all",
      "enable-login": true,
      "enable-signup": false,
      "auth-users": [`admin:${props.adminBcrypt}:admin`, `${NTFY_PUBLISHER}:${props.publisherBcrypt}:user`],
      // The publisher may only post to the alert topic, never read it.
      "auth-access": [`${NTFY_PUBLISHER}:${props.topic}:wo`],
    },
    { lineWidth: 0 },
  );
}

/**
 * ntfy, the lab's push notifications (phone app, web UI), at https://ntfy.<domain>: a private
 * server (`deny-all`) with two users provisioned from its config, an admin (you: subscribe with
 * it) and a write-only publisher for the alert topic (Alertmanager, Proxmox). Both passwords are
 * generated and kept in Terraform state; messages and the user database live on a small Longhorn
 * volume. Alertmanager posts to the in-cluster Service, Proxmox to the HTTPS URL.
 */
export class Ntfy extends Construct {
  public readonly app: HelmApp;
  public readonly admin: GeneratedCredential;
  public readonly publisher: GeneratedCredential;
  public readonly config: SecretV1;
  public readonly web: ExposedApp;
  /** http://ntfy.<namespace>.svc.cluster.local:8080, for Alertmanager. */
  public readonly inClusterUrl: string;
  /** `Authorization` header value of the publisher (sensitive), for Proxmox's webhook. */
  public readonly publisherAuthorization: string;

  constructor(scope: Construct, id: string, props: NtfyProps) {
    super(scope, id);
    if (!Number.isInteger(props.storageGiB) || props.storageGiB < 1) {
      throw new Error(`Ntfy ${id}: storageGiB ${props.storageGiB} must be a whole number of GiB >= 1`);
    }
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(props.topic)) {
      throw new Error(`Ntfy ${id}: topic "${props.topic}" must be 1–64 letters, digits, '-' or '_'`);
    }
    const name = "ntfy";
    this.inClusterUrl = `http://${name}.${props.namespace}.svc.cluster.local:${NTFY_PORT}`;

    this.admin = new GeneratedCredential(this, "admin", {
      namespace: props.namespace,
      secretName: "ntfy-admin",
      extraData: { username: "admin" },
      dependsOn: props.dependsOn,
    });
    this.publisher = new GeneratedCredential(this, "publisher", {
      namespace: props.namespace,
      secretName: "ntfy-publisher",
      extraData: { username: NTFY_PUBLISHER },
      dependsOn: props.dependsOn,
    });
    this.publisherAuthorization = `Basic ${Fn.base64encode(`${NTFY_PUBLISHER}:${this.publisher.password}`)}`;

    this.config = new SecretV1(this, "config", {
      metadata: { name: "ntfy-config", namespace: props.namespace, labels: { "app.kubernetes.io/managed-by": "homelab" } },
      data: {
        "server.yml": ntfyServerConfig({
          baseUrl: `https://${props.hostname}.${props.domain}`,
          topic: props.topic,
          adminBcrypt: this.admin.bcryptHash,
          publisherBcrypt: this.publisher.bcryptHash,
        }),
      },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? APP_TEMPLATE_CHART,
      releaseName: name,
      namespace: props.namespace,
      values: {
        defaultPodOptions: { securityContext: { runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, runAsNonRoot: true } },
        controllers: {
          [name]: {
            // One ReadWriteOnce volume: never two pods at once.
            strategy: "Recreate",
            containers: {
              app: {
                image: { repository: NTFY_IMAGE.repository, tag: NTFY_IMAGE.tag },
                args: ["serve", "--config", `${CONFIG_DIR}/server.yml`],
                resources: kubernetesResources(props.resources),
                probes: {
                  liveness: { enabled: true, type: "TCP", port: NTFY_PORT },
                  readiness: { enabled: true, type: "TCP", port: NTFY_PORT },
                },
                securityContext: { allowPrivilegeEscalation: false },
              },
            },
          },
        },
        service: {
          [name]: { controller: name, forceRename: name, ports: { http: { port: NTFY_PORT } } },
        },
        persistence: {
          data: {
            type: "persistentVolumeClaim",
            accessMode: "ReadWriteOnce",
            size: `${props.storageGiB}Gi`,
            storageClass: props.storageClassName,
            globalMounts: [{ path: DATA_DIR }],
          },
          config: { type: "secret", name: "ntfy-config", globalMounts: [{ path: CONFIG_DIR, readOnly: true }] },
        },
      },
      dependsOn: [...(props.dependsOn ?? []), this.config],
    });

    this.web = new ExposedApp(this, id, {
      hostname: props.hostname,
      domain: props.domain,
      namespace: props.namespace,
      serviceName: name,
      servicePort: NTFY_PORT,
      dependsOn: [this.app.release, ...(props.ingressReady ?? [])],
    });
  }
}
