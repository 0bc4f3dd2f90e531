import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { KUBECONFIG_FILE, fromStack } from "../config/paths";
import { KubernetesAccess } from "../constructs/kubernetes-access";
import { ExposedApp } from "../constructs/platform/exposed-app";
import { LabStack, type LabStackProps } from "./lab-stack";
import { buildPlatformApps } from "./platform/apps";
import { buildPlatformBase } from "./platform/base";

/** Phases 4–5: storage, load balancers, ingress + TLS, then GitOps and the household services. */
export class PlatformStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    new KubernetesAccess(this, "cluster", { kubeconfigPath: fromStack(KUBECONFIG_FILE) });
    const base = buildPlatformBase(this, this.lab);
    buildPlatformApps(this, this.lab, base);
    new TerraformOutput(this, "urls", {
      value: Object.fromEntries(ExposedApp.all(this).map((app) => [app.node.id, app.url])),
      description: "Every web app of the lab (HTTPS, signed by the lab CA or Let's Encrypt)",
    });
  }
}
