import { Construct } from "constructs";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { stringify } from "yaml";
import { GeneratedCredential } from "./app-secret";
import { ExposedApp } from "./exposed-app";
import type { WebAppProps } from "./web-app";
import { APP_TEMPLATE_CHART } from "./app-template";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";

/** AdGuard Home runs from the bjw-s app-template chart (no maintained dedicated chart). */
export const ADGUARD_CHART: ChartRef = APP_TEMPLATE_CHART;

/**
 * AdGuard Home image. v0.107.69 (2025-11) writes config schema 31, where each DNS rewrite has its
 * own `enabled` flag and `filtering.rewrites_enabled` switches them all; the initial config below
 * is written in that schema.
 */
// renovate: datasource=docker depName=adguard/adguardhome
export const ADGUARD_IMAGE = { repository: "adguard/adguardhome", tag: "v0.107.69" } as const;
export const ADGUARD_CONFIG_SCHEMA_VERSION = 31;

const CONF_DIR = "/opt/adguardhome/conf";
const WORK_DIR = "/opt/adguardhome/work";
const SEED_DIR = "/seed";
const WEB_PORT = 3000;

export interface DnsRewrite {
  readonly domain: string;
  readonly answer: string;
}

export interface AdGuardHomeProps extends WebAppProps {
  /** MetalLB address serving DNS on TCP and UDP 53 (what the ISP box hands out as primary DNS). */
  readonly dnsLoadBalancerIp: string;
  /** Upstream resolvers (DoH/DoT URLs or addresses). */
  readonly upstreams: readonly string[];
  /** Plain-IP resolvers used to resolve the upstreams' own names (DoH hosts). */
  readonly bootstrapDns: readonly string[];
  /** Every app name to Traefik, the API name to the VIP: config/apps.ts dnsRewrites(lab). */
  readonly rewrites: readonly DnsRewrite[];
  readonly storageClassName: string;
  /** Volume for the configuration (a few KiB; the UI edits it). @default 1 */
  readonly confStorageGiB?: number;
  /** Volume for the query log, statistics and filter lists. @default 2 */
  readonly workStorageGiB?: number;
}

/** The AdGuardHome.yaml the first start uses (later edits in the UI win: see the class comment). */
export function adguardInitialConfig(props: {
  readonly upstreams: readonly string[];
  readonly bootstrapDns: readonly string[];
  readonly rewrites: readonly DnsRewrite[];
  readonly adminPasswordBcrypt: string;
}): string {
  return stringify(
    {
      http: { address: `0.0.0.0:${WEB_PORT}` },
      users: [{ name: "admin", password: props.adminPasswordBcrypt }],
      dns: {
        bind_hosts: ["0.0.0.0"],
        port: 53,
        upstream_dns: [...props.upstreams],
        bootstrap_dns: [...props.bootstrapDns],
        upstream_mode: "load_balance",
        cache_enabled: true,
      },
      filtering: {
        protection_enabled: true,
        filtering_enabled: true,
        rewrites_enabled: true,
        rewrites: props.rewrites.map((r) => ({ domain: r.domain, answer: r.answer, enabled: true })),
      },
      filters: [
        { enabled: true, url: "https://adguardteam.github.io/HostlistsRegistry/assets/filter_1.txt", name: "AdGuard DNS filter", id: 1 },
      ],
      schema_version: ADGUARD_CONFIG_SCHEMA_VERSION,
    },
    { lineWidth: 0 },
  );
}

/**
 * AdGuard Home, the LAN's DNS: one Service of type LoadBalancer carries TCP and UDP 53 on the fixed
 * MetalLB address (mixed protocols are GA since Kubernetes 1.26 and MetalLB supports them), with
 * `externalTrafficPolicy: Local` so the query log shows real client addresses.
 *
 * Configuration: AdGuard Home rewrites its own AdGuardHome.yaml whenever the UI changes a setting,
 * so the file must live on a writable volume (`conf`, Longhorn). The generated file (upstreams,
 * rewrites, admin user with a bcrypt hash) sits in a Secret and an init container copies it into
 * `conf` only when no config exists yet: the first start is fully configured, later UI edits are
 * kept. To re-apply the generated file (e.g. after adding an app), delete conf/AdGuardHome.yaml and
 * restart the pod, or add the rewrite in the UI.
 */
export class AdGuardHome extends Construct {
  public readonly app: HelmApp;
  public readonly admin: GeneratedCredential;
  public readonly initialConfig: SecretV1;
  public readonly web: ExposedApp;
  /** The rewrites written into the initial config. */
  public readonly rewrites: readonly DnsRewrite[];

  constructor(scope: Construct, id: string, props: AdGuardHomeProps) {
    super(scope, id);
    if (props.upstreams.length === 0) {
      throw new Error(`AdGuardHome ${id}: no upstream resolver; set platform.apps.adguard.upstreams or network.dnsServers`);
    }
    if (props.bootstrapDns.some((ip) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) || props.bootstrapDns.length === 0) {
      throw new Error(`AdGuardHome ${id}: bootstrapDns ${JSON.stringify(props.bootstrapDns)} must be plain IPv4 addresses, e.g. network.dnsServers`);
    }
    const seen = new Set<string>();
    for (const r of props.rewrites) {
      if (seen.has(r.domain)) {
        throw new Error(`AdGuardHome ${id}: rewrite for "${r.domain}" is given twice; each name needs exactly one answer`);
      }
      seen.add(r.domain);
    }
    for (const [name, size] of [["confStorageGiB", props.confStorageGiB], ["workStorageGiB", props.workStorageGiB]] as const) {
      if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
        throw new Error(`AdGuardHome ${id}: ${name} ${size} must be a whole number of GiB >= 1`);
      }
    }
    this.rewrites = props.rewrites;

    this.admin = new GeneratedCredential(this, "admin", {
      namespace: props.namespace,
      secretName: "adguard-admin",
      extraData: { username: "admin" },
      dependsOn: props.dependsOn,
    });

    this.initialConfig = new SecretV1(this, "initial-config", {
      metadata: { name: "adguard-initial-config", namespace: props.namespace, labels: { "app.kubernetes.io/managed-by": "homelab" } },
      data: {
        "AdGuardHome.yaml": adguardInitialConfig({
          upstreams: props.upstreams,
          bootstrapDns: props.bootstrapDns,
          rewrites: props.rewrites,
          adminPasswordBcrypt: this.admin.bcryptHash,
        }),
      },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });

    // A fresh object per use: a shared one would be written as a YAML anchor/alias.
    const image = () => ({ repository: ADGUARD_IMAGE.repository, tag: ADGUARD_IMAGE.tag });
    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? ADGUARD_CHART,
      releaseName: "adguard",
      namespace: props.namespace,
      values: {
        controllers: {
          adguard: {
            // Two ReadWriteOnce volumes: never two pods at once.
            strategy: "Recreate",
            initContainers: {
              "seed-config": {
                image: image(),
                command: [
                  "/bin/sh",
                  "-c",
                  `[ -f ${CONF_DIR}/AdGuardHome.yaml ] || cp ${SEED_DIR}/AdGuardHome.yaml ${CONF_DIR}/AdGuardHome.yaml`,
                ],
              },
            },
            containers: {
              app: {
                image: image(),
                resources: kubernetesResources(props.resources),
                probes: {
                  liveness: { enabled: true, type: "TCP", port: WEB_PORT },
                  readiness: { enabled: true, type: "TCP", port: WEB_PORT },
                },
              },
            },
          },
        },
        service: {
          http: {
            controller: "adguard",
            forceRename: "adguard-http",
            primary: true,
            ports: { http: { port: WEB_PORT, protocol: "HTTP" } },
          },
          dns: {
            controller: "adguard",
            forceRename: "adguard-dns",
            type: "LoadBalancer",
            externalTrafficPolicy: "Local",
            annotations: { "metallb.io/loadBalancerIPs": props.dnsLoadBalancerIp },
            ports: {
              "dns-tcp": { port: 53, protocol: "TCP" },
              "dns-udp": { port: 53, protocol: "UDP" },
            },
          },
        },
        persistence: {
          conf: {
            type: "persistentVolumeClaim",
            accessMode: "ReadWriteOnce",
            size: `${props.confStorageGiB ?? 1}Gi`,
            storageClass: props.storageClassName,
            globalMounts: [{ path: CONF_DIR }],
          },
          work: {
            type: "persistentVolumeClaim",
            accessMode: "ReadWriteOnce",
            size: `${props.workStorageGiB ?? 2}Gi`,
            storageClass: props.storageClassName,
            advancedMounts: { adguard: { app: [{ path: WORK_DIR }] } },
          },
          seed: {
            type: "secret",
            name: "adguard-initial-config",
            advancedMounts: { adguard: { "seed-config": [{ path: SEED_DIR, readOnly: true }] } },
          },
        },
      },
      dependsOn: [...(props.dependsOn ?? []), this.initialConfig],
    });

    this.web = new ExposedApp(this, id, {
      hostname: props.hostname,
      domain: props.domain,
      namespace: props.namespace,
      serviceName: "adguard-http",
      servicePort: WEB_PORT,
      dependsOn: [this.app.release, ...(props.ingressReady ?? [])],
    });
  }
}
