import { Construct } from "constructs";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";

/** How a stack reaches the cluster's API: values of the k3s stack, never a file. */
export interface ClusterAccess {
  /** API URL, e.g. https://192.168.1.50:6443 (the VIP). */
  readonly host: string;
  /** PEM of the server CA the API's certificate chains to. */
  readonly clusterCaCertificate: string;
  /** PEM of the admin client certificate. */
  readonly clientCertificate: string;
  /** PEM of its key: a Terraform reference (sensitive), never a literal. */
  readonly clientKey: string;
}

export interface KubernetesAccessProps {
  readonly access: ClusterAccess;
}

/**
 * The helm and kubernetes providers, both configured from the k3s stack's admin credential (host,
 * server CA, client certificate and key). In the platform stack these are cdktf cross-stack
 * references: Terraform reads them from the k3s stack's state (terraform_remote_state, local or
 * Terraform Cloud) at plan time, so the same configuration works on a laptop and on an agent,
 * and no kubeconfig file passes between the stacks.
 */
export class KubernetesAccess extends Construct {
  public readonly helm: HelmProvider;
  public readonly kubernetes: KubernetesProvider;

  constructor(scope: Construct, id: string, props: KubernetesAccessProps) {
    super(scope, id);
    const { host, clusterCaCertificate, clientCertificate, clientKey } = props.access;
    if (!/^https:\/\/[^/\s]+$/.test(host)) {
      throw new Error(`KubernetesAccess ${id}: host "${host}" must be the API's https URL without a path, e.g. https://192.168.1.50:6443`);
    }
    if (!clientKey.includes("${")) {
      throw new Error(`KubernetesAccess ${id}: clientKey is a literal; pass the k3s stack's key (a Terraform reference) so no key lands in cdktf.out`);
    }
    const config = { host, clusterCaCertificate, clientCertificate, clientKey };
    this.kubernetes = new KubernetesProvider(this, "kubernetes", config);
    this.helm = new HelmProvider(this, "helm", { kubernetes: config });
  }
}
