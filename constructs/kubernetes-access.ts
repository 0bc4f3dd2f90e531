import { Construct } from "constructs";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";

export interface KubernetesAccessProps {
  /** Kubeconfig path as Terraform sees it from the stack's working directory. */
  readonly kubeconfigPath: string;
}

/**
 * The helm and kubernetes providers, both reading the admin kubeconfig that the k3s stack fetched
 * (server URL already rewritten to the API VIP). A file, not credentials in state: nothing secret
 * enters the platform stack's configuration.
 */
export class KubernetesAccess extends Construct {
  public readonly helm: HelmProvider;
  public readonly kubernetes: KubernetesProvider;

  constructor(scope: Construct, id: string, props: KubernetesAccessProps) {
    super(scope, id);
    this.kubernetes = new KubernetesProvider(this, "kubernetes", { configPath: props.kubeconfigPath });
    this.helm = new HelmProvider(this, "helm", { kubernetes: { configPath: props.kubeconfigPath } });
  }
}
