import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { KubernetesAccess, type ClusterAccess } from "../constructs/kubernetes-access";
import { ExposedApp } from "../constructs/platform/exposed-app";
import { LabStack, type LabStackProps } from "./lab-stack";
import { buildPlatformApps } from "./platform/apps";
import { buildPlatformBase } from "./platform/base";

export interface PlatformStackProps extends LabStackProps {
  /**
   * The cluster's API and admin credential: the k3s stack's values (`K3sStack.access`), which
   * cdktf turns into a terraform_remote_state read of the k3s stack's state.
   */
  readonly access: ClusterAccess;
}

/** Phases 4–5: storage, load balancers, ingress + TLS, then GitOps and the household services. */
export class PlatformStack extends LabStack {
  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    new KubernetesAccess(this, "cluster", { access: props.access });
    const base = buildPlatformBase(this, this.lab);
    buildPlatformApps(this, this.lab, base, props.access);
    new TerraformOutput(this, "urls", {
      value: Object.fromEntries(ExposedApp.all(this).map((app) => [app.node.id, app.url])),
      description: "Every web app of the lab (HTTPS, signed by the lab CA or Let's Encrypt)",
    });
  }
}
