import type { App } from "cdktf";
import type { LabConfig } from "../config/schema";
import { DataGuard, type AllowDestroy } from "../constructs/data-guard";
import { InfraStack } from "./infra-stack";
import { K3sStack } from "./k3s-stack";
import { PlatformStack } from "./platform-stack";
import { TfcStack } from "./tfc-stack";

export interface Lab {
  readonly infra: InfraStack;
  readonly k3s: K3sStack;
  readonly platform: PlatformStack;
  /** Terraform Cloud's workspaces and agent pool, when homelab.yaml has `terraformCloud`. */
  readonly tfc?: TfcStack;
  /** Names of the DataGuards this run lifted (LabOptions.allowDestroy). */
  readonly destroyAllowed: readonly string[];
}

export interface LabOptions {
  /**
   * DataGuards to lift, so that plans may destroy or replace what they protect: guard names
   * (the K3s VMs' names, join-token, longhorn, vaultwarden-data) or "all". main.ts reads it
   * from HOMELAB_ALLOW_DESTROY. @default none: every guard holds
   */
  readonly allowDestroy?: AllowDestroy;
}

/**
 * The three stacks in roadmap order; `cdktf deploy infra k3s platform` deploys them in this order.
 * With Terraform Cloud, a fourth stack (tfc) sets up their workspaces.
 */
export function buildLab(app: App, lab: LabConfig, options: LabOptions = {}): Lab {
  const infra = new InfraStack(app, "infra", { lab });
  // Each VM's generation crosses stacks (terraform_remote_state): a re-created VM reruns the K3s playbook.
  const k3s = new K3sStack(app, "k3s", {
    lab,
    servers: infra.servers.map((s) => ({ name: s.name, vmId: s.idToken })),
    agents: infra.agents.map((a) => ({ name: a.name, vmId: a.idToken })),
  });
  k3s.addDependency(infra);
  // The cluster's credential crosses stacks too (terraform_remote_state of the k3s stack).
  const platform = new PlatformStack(app, "platform", { lab, access: k3s.access });
  platform.addDependency(k3s);
  // Deployed once, from the laptop, before the others (`cdktf deploy tfc`): it creates their workspaces.
  const tfc = lab.terraformCloud ? new TfcStack(app, "tfc", { lab, stacks: { infra, k3s, platform } }) : undefined;
  const destroyAllowed = DataGuard.lift(app, options.allowDestroy ?? []);
  return { infra, k3s, platform, ...(tfc ? { tfc } : {}), destroyAllowed };
}
