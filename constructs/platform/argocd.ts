import { Construct } from "constructs";
import { GeneratedCredential } from "./app-secret";
import { ExposedApp } from "./exposed-app";
import type { WebAppProps } from "./web-app";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources, splitResources } from "./resources";

/** argo-helm `argo-cd` chart; keys checked against ../shared/charts/argo-cd/10.1.1/values.yaml. */
// renovate: datasource=helm depName=argo-cd registryUrl=https://argoproj.github.io/argo-helm
export const ARGOCD_CHART: ChartRef = { chart: "argo-cd", repository: "https://argoproj.github.io/argo-helm", version: "10.1.1" };

/**
 * How the catalog's ArgoCD total is shared between its pods: the application controller does the
 * diffing (most memory), the repo server renders Helm charts, the rest are small.
 */
export const ARGOCD_RESOURCE_SHARES = { controller: 4, repoServer: 3, server: 1.5, redis: 1, applicationSet: 0.5 } as const;

export interface ArgoCdProps extends WebAppProps {
}

/**
 * ArgoCD behind Traefik: the server speaks plain HTTP inside the cluster (`server.insecure`) and
 * Traefik terminates TLS with the lab's wildcard certificate. The admin password is generated; only
 * its bcrypt hash reaches the chart, through `set_sensitive`. Dex and notifications are off: one
 * household, no SSO, no chat hooks, two pods fewer.
 */
export class ArgoCd extends Construct {
  public readonly app: HelmApp;
  public readonly admin: GeneratedCredential;
  public readonly web: ExposedApp;

  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    super(scope, id);
    const fqdn = `${props.hostname}.${props.domain}`;
    // Kept in a Secret too so that `kubectl get secret argocd-admin-password` can recover it.
    this.admin = new GeneratedCredential(this, "admin", {
      namespace: props.namespace,
      secretName: "argocd-admin-password",
      extraData: { username: "admin" },
      dependsOn: props.dependsOn,
    });
    const shares = splitResources(props.resources, ARGOCD_RESOURCE_SHARES);

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? ARGOCD_CHART,
      releaseName: "argocd",
      namespace: props.namespace,
      values: {
        global: { domain: fqdn },
        configs: {
          params: { "server.insecure": true },
          secret: {
            createSecret: true,
            // A fixed time: with the default (now) every upgrade would log everybody out.
            argocdServerAdminPasswordMtime: "2026-01-01T00:00:00Z",
          },
        },
        dex: { enabled: false },
        notifications: { enabled: false },
        controller: { resources: kubernetesResources(shares.controller) },
        repoServer: { resources: kubernetesResources(shares.repoServer) },
        server: { resources: kubernetesResources(shares.server), ingress: { enabled: false } },
        redis: { resources: kubernetesResources(shares.redis) },
        applicationSet: { resources: kubernetesResources(shares.applicationSet) },
      },
      sensitiveValues: [{ path: "configs.secret.argocdServerAdminPassword", value: this.admin.bcryptHash }],
      dependsOn: props.dependsOn,
    });

    this.web = new ExposedApp(this, id, {
      hostname: props.hostname,
      domain: props.domain,
      namespace: props.namespace,
      serviceName: "argocd-server",
      servicePort: 80,
      dependsOn: [this.app.release, ...(props.ingressReady ?? [])],
    });
  }
}
