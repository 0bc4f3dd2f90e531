import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import { ipToInt } from "../../config/ipv4";
import type { TraefikMiddlewareRef } from "./exposed-app";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";

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
  /** Host of the dashboard, e.g. `traefik.home.arpa`. */
  readonly dashboardHost: string;
  /** Middlewares in front of the dashboard (basic auth), in Traefik's namespace. */
  readonly dashboardMiddlewares: readonly TraefikMiddlewareRef[];
  /** Secret (in `namespace`) of the certificate served to any TLS client by default. */
  readonly defaultCertificateSecretName: string;
  /** What Traefik asks (catalog). */
  readonly resources: Resources;
  /** MetalLB with its pools, the namespace, and the default certificate's issuer. */
  readonly dependsOn: ITerraformDependable[];
  /** @default TRAEFIK_CHART */
  readonly chart?: ChartRef;
}

/**
 * Traefik, the lab's only ingress: a LoadBalancer at the fixed address, HTTP redirected to HTTPS,
 * the wildcard certificate as the default of its TLS store, the Kubernetes Ingress and CRD
 * providers, and its dashboard served only at https://<dashboardHost> behind the given
 * middlewares. The release waits for the Service's address, so MetalLB must be ready first.
 */
export class Traefik extends Construct {
  public readonly namespace: string;
  public readonly release: HelmApp;
  /** Ingress class Traefik registers (and makes the default). */
  public readonly ingressClassName = "traefik";

  constructor(scope: Construct, id: string, props: TraefikProps) {
    super(scope, id);
    ipToInt(props.loadBalancerIp); // throws on a malformed address
    for (const m of props.dashboardMiddlewares) {
      if (m.namespace !== props.namespace) {
        throw new Error(
          `Traefik ${id}: dashboard middleware ${m.namespace}/${m.name} is outside Traefik's namespace ${props.namespace}; ` +
            `IngressRoutes may only use middlewares of their own namespace (cross-namespace references are off)`,
        );
      }
    }
    if (props.dashboardMiddlewares.length === 0) {
      throw new Error(`Traefik ${id}: the dashboard needs at least one middleware (authentication); it must never be open`);
    }
    this.namespace = props.namespace;
    this.release = new HelmApp(this, "release", {
      releaseName: "traefik",
      chart: props.chart ?? TRAEFIK_CHART,
      namespace: props.namespace,
      createNamespace: false,
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
            matchRule: `Host(\`${props.dashboardHost}\`)`,
            entryPoints: ["websecure"],
            middlewares: props.dashboardMiddlewares.map((m) => ({ name: m.name })),
          },
        },
        resources: kubernetesResources(props.resources),
      },
      dependsOn: props.dependsOn,
    });
  }

  public get ready(): ITerraformDependable[] {
    return [this.release.release];
  }
}
