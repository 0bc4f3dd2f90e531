import { LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { TfeProvider } from "@cdktf/provider-tfe/lib/provider";
import { STACK_TO_ROOT, localStateFile } from "../config/paths";
import type { LabConfig } from "../config/schema";
import { LabWorkspaces, type RunVariable } from "../constructs/tfc/lab-workspaces";

export interface TfcStackProps {
  readonly lab: LabConfig;
  /** The stacks that run in Terraform Cloud, by name, in deploy order: their variables are mirrored. */
  readonly stacks: Readonly<Record<string, TerraformStack>>;
}

/** Which stack reads which one's state (cdktf cross-stack references become terraform_remote_state). */
const READ_BY: Readonly<Record<string, readonly string[]>> = { infra: ["k3s"], k3s: ["platform"] };

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  infra: "Phase 2: cloud images, cloud-init snippets and the K3s VMs on Proxmox (bpg/proxmox)",
  k3s: "Phase 3: K3s in HA with embedded etcd and kube-vip (Ansible, run on the agent), the cluster's CAs",
  platform: "Phases 4-5: storage, load balancers, ingress and TLS, GitOps and the household services",
};

/**
 * Terraform Cloud as code (only with `terraformCloud` in homelab.yaml): the workspaces of the
 * lab's stacks, the agent pool the Pi serves, and the variables each run needs. It keeps its own
 * local state at the project root and is deployed once, from the laptop, before the others:
 * `npx cdktf deploy tfc` (not part of `cdktf deploy infra k3s platform`).
 *
 * Secrets come from the deploy machine's environment as TF_VAR_<name> (the variables below) and
 * go to Terraform Cloud as sensitive workspace variables; they are also in this stack's local
 * state (terraform.tfc.tfstate, git-ignored), like every value Terraform sets.
 */
export class TfcStack extends TerraformStack {
  public readonly workspaces: LabWorkspaces;
  /** This stack's inputs, by name (TF_VAR_<name>). */
  public readonly inputs: Readonly<Record<string, TerraformVariable>>;

  constructor(scope: Construct, id: string, props: TfcStackProps) {
    super(scope, id);
    const tfc = props.lab.terraformCloud;
    if (!tfc) {
      throw new Error("TfcStack: homelab.yaml has no terraformCloud section; add terraformCloud.organization, or leave the tfc stack out");
    }
    new LocalBackend(this, { path: `${STACK_TO_ROOT}/${localStateFile(id)}` });
    // The token is `terraform login`'s (or TFE_TOKEN): never in the configuration.
    new TfeProvider(this, "tfe", { hostname: tfc.hostname });

    const inputs: Record<string, TerraformVariable> = {};
    const input = (name: string, description: string, source?: TerraformVariable): TerraformVariable => {
      inputs[name] ??= new TerraformVariable(this, name, {
        type: "string",
        sensitive: true,
        nullable: false,
        description,
        ...(source?.default !== undefined ? { default: source.default } : {}),
      });
      return inputs[name];
    };

    const variablesOf = (stack: string): RunVariable[] => {
      const vars: RunVariable[] = [];
      if (stack === "infra") {
        vars.push(
          {
            key: "PROXMOX_VE_API_TOKEN",
            category: "env",
            sensitive: true,
            from: input("proxmox_ve_api_token", "The Proxmox API token (terraform@pve!homelab=<secret>): export TF_VAR_proxmox_ve_api_token=\"$PROXMOX_VE_API_TOKEN\""),
            description: "bpg/proxmox: the API token, printed once by pve-cluster.yml",
          },
          {
            key: "PROXMOX_VE_SSH_PRIVATE_KEY",
            category: "env",
            sensitive: true,
            from: input(
              "agent_ssh_private_key",
              "The private SSH key the agent uses (root on the Proxmox nodes, your user on the VMs), without passphrase: export TF_VAR_agent_ssh_private_key=\"$(cat ~/.ssh/homelab-agent)\"",
            ),
            description: "bpg/proxmox: SSH key for the snippet uploads (the agent has no ssh-agent)",
          },
        );
      }
      // Every sensitive variable of the stack: its runs cannot read the deploy machine's TF_VAR_*.
      for (const variable of props.stacks[stack].node.findAll().filter((c): c is TerraformVariable => c instanceof TerraformVariable)) {
        if (variable.sensitive !== true) continue; // e.g. the break-glass gitops_repo_url: set it in the workspace when needed
        const name = variable.friendlyUniqueId;
        vars.push({
          key: name,
          category: "terraform",
          sensitive: true,
          from: input(name, `The ${stack} stack's ${name} (export TF_VAR_${name}=…): ${variable.description ?? ""}`.trim(), variable),
          description: variable.description ?? name,
        });
      }
      return vars;
    };

    this.workspaces = new LabWorkspaces(this, "terraform-cloud", {
      organization: tfc.organization,
      prefix: tfc.workspacePrefix,
      workspaces: Object.keys(props.stacks).map((stack) => ({
        stack,
        description: DESCRIPTIONS[stack] ?? `The lab's ${stack} stack`,
        readBy: READ_BY[stack] ?? [],
        variables: variablesOf(stack),
      })),
    });
    this.inputs = inputs;
  }
}
