import { Construct, type IConstruct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";

export interface ExposedAppProps {
  /** DNS label: the app is served at https://<hostname>.<domain>. */
  readonly hostname: string;
  readonly domain: string;
  readonly namespace: string;
  /** Kubernetes Service that receives the traffic, and its port. */
  readonly serviceName: string;
  readonly servicePort: number;
  /** Ingress class of the lab's Traefik. @default "traefik" */
  readonly ingressClassName?: string;
  /** Extra ingress annotations (e.g. a Traefik middleware). */
  readonly annotations?: Record<string, string>;
  /** Usually the release that creates the Service (and its namespace). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * "An app at https://<name>.<domain>": an Ingress on the lab's Traefik, served over HTTPS with the
 * default wildcard certificate of Traefik's TLS store. Every web app of the platform goes through
 * this construct; the platform stack lists their URLs in its `urls` output.
 */
export class ExposedApp extends Construct {
  /** Every ExposedApp under `scope`, in construct order. */
  public static all(scope: IConstruct): ExposedApp[] {
    return scope.node.findAll().filter((c): c is ExposedApp => c instanceof ExposedApp);
  }

  public readonly fqdn: string;
  public readonly url: string;
  public readonly ingress: IngressV1;

  constructor(scope: Construct, id: string, props: ExposedAppProps) {
    super(scope, id);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(props.hostname)) {
      throw new Error(`ExposedApp ${id}: hostname "${props.hostname}" is not a DNS label; use lowercase letters, digits and '-'`);
    }
    this.fqdn = `${props.hostname}.${props.domain}`;
    this.url = `https://${this.fqdn}`;
    this.ingress = new IngressV1(this, "ingress", {
      metadata: {
        name: props.hostname,
        namespace: props.namespace,
        annotations: {
          "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
          "traefik.ingress.kubernetes.io/router.tls": "true",
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
