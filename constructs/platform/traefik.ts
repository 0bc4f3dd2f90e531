import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import { ipToInt } from "../../config/ipv4";
import { ExposedApp } from "./exposed-app";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";
import { TraefikBasicAuth } from "./traefik-basic-auth";

/** Traefik's chart, pinned (https://traefik.github.io/charts, chart `traefik`); K3s's bundled one is disabled. */
// renovate: datasource=helm depName=traefik registryUrl=https://traefik.github.io/charts
export const TRAEFIK_CHART: ChartRef = { chart: "traefik", repository: "https://traefik.github.io/charts", version: "41.3.0" };

/** MetalLB ≥ 0.15 reads this annotation (the `metallb.universe.tf/` prefix is deprecated). */
export const METALLB_IPS_ANNOTATION = "metallb.io/loadBalancerIPs";

export interface TraefikProps {
  /** Created beforehand (the default certificate and the dashboard's credentials go in first). */
  readonly namespace: string;
  /** Fixed LoadBalancer address (`loadBalancer.ingressIp`); MetalLB must own it. */
  readonly loadBalancerIp: string;
  /** DNS label of the dashboard: it is served at https://<dashboardHostname>.<domain>, behind basic auth. */
  readonly dashboardHostname: string;
  readonly domain: string;
  /** Secret (in `namespace`) of the certificate served to any TLS client by default. */
  readonly defaultCertificateSecretName: string;
  /** What Traefik asks (catalog). */
  readonly resources: Resources;
  /** The namespace (the dashboard's credentials go in first). */
  readonly namespaceReady: ITerraformDependable[];
  /** MetalLB with its pools, the namespace, and the default certificate's issuer. */
  readonly dependsOn: ITerraformDependable[];
  /** @default TRAEFIK_CHART */
  readonly chart?: ChartRef;
}

/** Name of the basic-auth Middleware in front of the dashboard (and of its release). */
export const TRAEFIK_DASHBOARD_AUTH = "traefik-dashboard-auth";

/**
 * Traefik, the lab's only ingress: a LoadBalancer at the fixed address, HTTP redirected to HTTPS,
 * the wildcard certificate as the default of its TLS store, the Kubernetes Ingress and CRD
 * providers, and its dashboard served only at https://<dashboardHostname>.<domain> behind basic
 * auth (its own credentials, `dashboardAuth`). The release waits for the Service's address, so
 * MetalLB must be ready first.
 */
export class Traefik extends Construct {
  public readonly namespace: string;
  public readonly release: HelmApp;
  /** Ingress class Traefik registers (and makes the default). */
  public readonly ingressClassName = "traefik";
  /** The dashboard's URL (listed in the stack's `urls` output) and its basic-auth credentials. */
  public readonly dashboard: ExposedApp;
  public readonly dashboardAuth: TraefikBasicAuth;

  constructor(scope: Construct, id: string, props: TraefikProps) {
    super(scope, id);
    ipToInt(props.loadBalancerIp); // throws on a malformed address
    this.namespace = props.namespace;
    const dashboardHost = `${props.dashboardHostname}.${props.domain}`;
    this.release = new HelmApp(this, "release", {
      releaseName: "traefik",
      chart: props.chart ?? TRAEFIK_CHART,
      namespace: props.namespace,
      values: {
        ingressClass: { enabled: true, isDefaultClass: true, name: this.ingressClassName },
        providers: {
          kubernetesCRD: { enabled: true },
          // publishedService: Ingresses report Traefik's address in their status (ArgoCD health).
          kubernetesIngress: { enabled: true, publishedService: { enabled: true } },
        },
        ports: {
          web: { http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } } } },
          websecure: { http: { tls: { enabled: true } } },
        },
        tlsStore: { default: { defaultCertificate: { secretName: props.defaultCertificateSecretName } } },
        service: { annotations: { [METALLB_IPS_ANNOTATION]: props.loadBalancerIp } },
        api: { dashboard: true },
        ingressRoute: {
          dashboard: {
            enabled: true,
            matchRule: `Host(\`${dashboardHost}\`)`,
            entryPoints: ["websecure"],
            // Never open: the IngressRoute names the basic-auth Middleware made below.
            middlewares: [{ name: TRAEFIK_DASHBOARD_AUTH }],
          },
        },
        resources: kubernetesResources(props.resources),
      },
      dependsOn: props.dependsOn,
    });
    // The Middleware CRD comes with Traefik's chart: the credentials follow the release.
    this.dashboardAuth = new TraefikBasicAuth(this, "dashboard-auth", {
      name: TRAEFIK_DASHBOARD_AUTH,
      namespace: props.namespace,
      namespaceReady: props.namespaceReady,
      traefikReady: [this.release.release],
    });
    this.dashboard = new ExposedApp(this, "traefik", {
      hostname: props.dashboardHostname,
      domain: props.domain,
      namespace: props.namespace,
      routedByChart: true,
    });
  }

  public get ready(): ITerraformDependable[] {
    return [this.release.release];
  }
}
