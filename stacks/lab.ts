import type { App } from "cdktf";
import type { LabConfig } from "../config/schema";
import { InfraStack } from "./infra-stack";
import { K3sStack } from "./k3s-stack";
import { PlatformStack } from "./platform-stack";

export interface Lab {
  readonly infra: InfraStack;
  readonly k3s: K3sStack;
  readonly platform: PlatformStack;
}

/** The three stacks in roadmap order; `cdktf deploy infra k3s platform` deploys them in this order. */
export function buildLab(app: App, lab: LabConfig): Lab {
  const infra = new InfraStack(app, "infra", { lab });
  // Each VM's generation crosses stacks (terraform_remote_state): a re-created VM reruns the K3s playbook.
  const k3s = new K3sStack(app, "k3s", { lab, servers: infra.servers.map((s) => ({ name: s.name, vmId: s.idToken })) });
  k3s.addDependency(infra);
  const platform = new PlatformStack(app, "platform", { lab });
  platform.addDependency(k3s);
  return { infra, k3s, platform };
}
