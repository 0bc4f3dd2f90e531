import type { Construct } from "constructs";
import { KUBECONFIG_FILE, fromStack } from "../config/paths";
import { KubernetesAccess } from "../constructs/kubernetes-access";
import { LabStack, type LabStackProps } from "./lab-stack";

/** Phases 4–5: storage, load balancers, ingress + TLS, GitOps and the household services. */
export class PlatformStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    new KubernetesAccess(this, "cluster", { kubeconfigPath: fromStack(KUBECONFIG_FILE) });
  }
}
