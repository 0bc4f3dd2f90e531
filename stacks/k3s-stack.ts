import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { KUBECONFIG_FILE } from "../config/paths";
import { LabStack, type LabStackProps } from "./lab-stack";

/** Phase 3: K3s in HA with embedded etcd and kube-vip, installed by Ansible. */
export class K3sStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    new NullProvider(this, "null");
    new RandomProvider(this, "random");
    new TerraformOutput(this, "api_endpoint", {
      value: `https://${this.lab.k3s.apiVip}:6443`,
      description: "Kubernetes API, served on the kube-vip virtual IP",
    });
    new TerraformOutput(this, "kubeconfig_path", {
      value: KUBECONFIG_FILE,
      description: "Admin kubeconfig (mode 0600, git-ignored), relative to the project root",
    });
  }
}
