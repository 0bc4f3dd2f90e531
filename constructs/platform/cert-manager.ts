import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources, shareOf } from "./resources";

/**
 * cert-manager's chart, pinned. From the OCI registry, as cert-manager's install docs now
 * recommend: no repository index to download, and the tag is immutable. The chart version keeps
 * its leading `v`.
 */
// renovate: datasource=docker depName=quay.io/jetstack/charts/cert-manager
export const CERT_MANAGER_CHART: ChartRef = { chart: "cert-manager", repository: "oci://quay.io/jetstack/charts", version: "v1.21.1" };

export interface CertManagerProps {
  /** @default "cert-manager" */
  readonly namespace?: string;
  /** What cert-manager asks in total (catalog); controller, webhook and cainjector get a third each. */
  readonly resources: Resources;
  /** @default CERT_MANAGER_CHART */
  readonly chart?: ChartRef;
  /** What the release waits for: its namespace. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * cert-manager with its CRDs installed by the chart (and kept if the release is ever removed, so
 * deleting it cannot cascade to every Certificate). The release waits for the webhook and the
 * chart's startupapicheck job, so issuers can follow right after it.
 */
export class CertManager extends Construct {
  public readonly namespace: string;
  public readonly release: HelmApp;

  constructor(scope: Construct, id: string, props: CertManagerProps) {
    super(scope, id);
    this.namespace = props.namespace ?? "cert-manager";
    const share = kubernetesResources(shareOf(props.resources, 3));
    this.release = new HelmApp(this, "release", {
      releaseName: "cert-manager",
      chart: props.chart ?? CERT_MANAGER_CHART,
      namespace: this.namespace,
      values: {
        crds: { enabled: true, keep: true },
        resources: share,
        webhook: { resources: share },
        cainjector: { resources: share },
      },
      dependsOn: props.dependsOn,
    });
  }

  public get ready(): ITerraformDependable[] {
    return [this.release.release];
  }
}
