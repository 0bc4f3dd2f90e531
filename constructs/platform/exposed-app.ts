import { Construct, type IConstruct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { isDnsLabel } from "../../config/formats";

/** A Traefik Middleware custom resource (e.g. basic auth), by namespace and name. */
export interface TraefikMiddlewareRef {
  readonly namespace: string;
  readonly name: string;
}

/** Traefik's name for a CRD middleware when an Ingress annotation refers to it. */
export function middlewareAnnotationValue(refs: readonly TraefikMiddlewareRef[]): string {
  return refs.map((m) => `${m.namespace}-${m.name}@kubernetescrd`).join(",");
}

export interface ExposedAppProps {
  /** DNS label: the app is served at https://<hostname>.<domain>. */
  readonly hostname: string;
  readonly domain: string;
  readonly namespace: string;
  /**
   * Kubernetes Service that receives the traffic, and its port: an Ingress is created. Omit both
   * only with `routedByChart`.
   */
  readonly serviceName?: string;
  readonly servicePort?: number;
  /**
   * The app's chart routes this host itself (Traefik's dashboard: an IngressRoute to
   * `api@internal`, which an Ingress cannot reach). No Ingress is made; the URL is still listed.
   * @default false
   */
  readonly routedByChart?: boolean;
  /** Ingress class of the lab's Traefik. @default "traefik" */
  readonly ingressClassName?: string;
  /** Traefik middlewares applied in order (e.g. basic auth for UIs without their own login). @default [] */
  readonly middlewares?: readonly TraefikMiddlewareRef[];
  /** Extra ingress annotations. @default {} */
  readonly annotations?: Record<string, string>;
  /** Usually the release that creates the Service (and its namespace), and Traefik's. */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * "An app at https://<name>.<domain>": an Ingress on the lab's Traefik, served over HTTPS with the
 * default wildcard certificate of Traefik's TLS store (HTTP is redirected by the entry point).
 * Every web app of the platform goes through this construct; the platform stack lists their URLs
 * in its `urls` output.
 *
 * @example
 * new ExposedApp(stack, "longhorn", {
 *   hostname: "longhorn", domain: "home.arpa", namespace: "longhorn-system",
 *   serviceName: "longhorn-frontend", servicePort: 80,
 *   middlewares: [{ namespace: "longhorn-system", name: "longhorn-ui-auth" }],
 * });
 */
export class ExposedApp extends Construct {
  /** Every ExposedApp under `scope`, in construct order. */
  public static all(scope: IConstruct): ExposedApp[] {
    return scope.node.findAll().filter((c): c is ExposedApp => c instanceof ExposedApp);
  }

  public readonly fqdn: string;
  public readonly url: string;
  /** The Ingress, absent when the chart routes the host itself. */
  public readonly ingress?: IngressV1;

  constructor(scope: Construct, id: string, props: ExposedAppProps) {
    super(scope, id);
    if (!isDnsLabel(props.hostname)) {
      throw new Error(`ExposedApp ${id}: hostname "${props.hostname}" is not a DNS label; use lowercase letters, digits and '-'`);
    }
    this.fqdn = `${props.hostname}.${props.domain}`;
    this.url = `https://${this.fqdn}`;
    const hasService = props.serviceName !== undefined || props.servicePort !== undefined;
    if (props.routedByChart) {
      if (hasService) {
        throw new Error(`ExposedApp ${id}: routedByChart with serviceName/servicePort; give one or the other`);
      }
      return;
    }
    if (props.serviceName === undefined || props.servicePort === undefined) {
      throw new Error(
        `ExposedApp ${id}: needs serviceName and servicePort (got ${props.serviceName ?? "no name"}, ${props.servicePort ?? "no port"}), ` +
          `or routedByChart: true when the chart makes its own route`,
      );
    }
    if (!Number.isInteger(props.servicePort) || props.servicePort < 1 || props.servicePort > 65535) {
      throw new Error(`ExposedApp ${id}: servicePort ${props.servicePort} is not a TCP port (1–65535)`);
    }
    const middlewares = props.middlewares ?? [];
    this.ingress = new IngressV1(this, "ingress", {
      metadata: {
        name: props.hostname,
        namespace: props.namespace,
        annotations: {
          "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
          "traefik.ingress.kubernetes.io/router.tls": "true",
          ...(middlewares.length ? { "traefik.ingress.kubernetes.io/router.middlewares": middlewareAnnotationValue(middlewares) } : {}),
          ...props.annotations,
        },
      },
      spec: {
        ingressClassName: props.ingressClassName ?? "traefik",
        tls: [{ hosts: [this.fqdn] }],
        rule: [
          {
            host: this.fqdn,
            http: {
              path: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: props.serviceName, port: { number: props.servicePort } } },
                },
              ],
            },
          },
        ],
      },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
