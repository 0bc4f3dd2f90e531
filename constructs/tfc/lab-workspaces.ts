import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { AgentPool } from "@cdktf/provider-tfe/lib/agent-pool";
import { AgentPoolAllowedWorkspaces } from "@cdktf/provider-tfe/lib/agent-pool-allowed-workspaces";
import { AgentToken } from "@cdktf/provider-tfe/lib/agent-token";
import { DataTfeOrganization } from "@cdktf/provider-tfe/lib/data-tfe-organization";
import { Project } from "@cdktf/provider-tfe/lib/project";
import { Variable } from "@cdktf/provider-tfe/lib/variable";
import { Workspace } from "@cdktf/provider-tfe/lib/workspace";
import { WorkspaceSettings } from "@cdktf/provider-tfe/lib/workspace-settings";

/**
 * The Terraform version every workspace runs: the agent downloads it for each run (no Terraform
 * to install on the Pi). The same version as the CI workflow.
 */
// renovate: datasource=custom.hashicorp-releases depName=terraform
export const WORKSPACE_TERRAFORM_VERSION = "1.14.9";

/** A value a stack's runs need, set on its workspace. */
export interface RunVariable {
  /** The variable's name as the run reads it: a Terraform variable name, or an environment variable. */
  readonly key: string;
  readonly category: "terraform" | "env";
  readonly sensitive: boolean;
  /**
   * The Terraform variable of this stack (the tfc stack) whose value is set: read from the deploy
   * machine's environment (`TF_VAR_<name>`) when `cdktf deploy tfc` runs, never from a file.
   */
  readonly from: TerraformVariable;
  readonly description: string;
}

export interface LabWorkspaceProps {
  /** The lab's stack, e.g. "k3s": the workspace is `<prefix>-<stack>`. */
  readonly stack: string;
  readonly description: string;
  /** Stacks whose runs read this one's state (terraform_remote_state). @default none */
  readonly readBy?: readonly string[];
  /** @default none */
  readonly variables?: readonly RunVariable[];
}

export interface LabWorkspacesProps {
  /** Organization name: it must exist (an empty organization is enough). */
  readonly organization: string;
  /** Workspace and project prefix (terraformCloud.workspacePrefix). */
  readonly prefix: string;
  /** Every stack that runs in Terraform Cloud, in deploy order. */
  readonly workspaces: readonly LabWorkspaceProps[];
  /** @default WORKSPACE_TERRAFORM_VERSION */
  readonly terraformVersion?: string;
}

const STACK_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Terraform Cloud set up for the lab: a project, one workspace per stack in agent execution mode
 * on the lab's own agent pool (the Pi runs the agent: runs must reach Proxmox and the VMs on the
 * LAN), the pool's agent token (a sensitive output handed to the Pi playbook as TFC_AGENT_TOKEN),
 * remote state shared only with the workspaces that read it, and the variables each run needs.
 *
 * No run triggers: `cdktf deploy infra k3s platform` already runs the stacks in order, each with
 * the configuration it has just synthesized. A trigger would queue a second run of the next stack
 * on its previous configuration version, for the one agent the Free plan allows, and the run
 * would wait for a confirmation that holds the workspace's queue.
 */
export class LabWorkspaces extends Construct {
  public readonly project: Project;
  public readonly agentPool: AgentPool;
  public readonly agentToken: AgentToken;
  public readonly workspaces: Readonly<Record<string, Workspace>>;
  public readonly settings: Readonly<Record<string, WorkspaceSettings>>;
  public readonly variables: Readonly<Record<string, readonly Variable[]>>;

  constructor(scope: Construct, id: string, props: LabWorkspacesProps) {
    super(scope, id);
    const names = props.workspaces.map((w) => w.stack);
    for (const w of props.workspaces) {
      if (!STACK_NAME.test(w.stack)) throw new Error(`LabWorkspaces ${id}: stack "${w.stack}" must be a lowercase stack name, e.g. k3s`);
      for (const reader of w.readBy ?? []) {
        if (!names.includes(reader)) {
          throw new Error(`LabWorkspaces ${id}: ${w.stack} is read by "${reader}", which is not one of the workspaces (${names.join(", ")})`);
        }
        if (reader === w.stack) throw new Error(`LabWorkspaces ${id}: ${w.stack} cannot share its state with itself`);
      }
      const keys = (w.variables ?? []).map((v) => `${v.category}:${v.key}`);
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice) throw new Error(`LabWorkspaces ${id}: ${w.stack} sets ${twice.replace(":", " variable ")} twice`);
    }
    if (new Set(names).size !== names.length) throw new Error(`LabWorkspaces ${id}: a stack is listed twice (${names.join(", ")})`);

    const organization = new DataTfeOrganization(this, "organization", { name: props.organization });
    this.project = new Project(this, "project", {
      organization: organization.name,
      name: props.prefix,
      description: "The homelab's stacks (cdktf), run on the lab's agent",
    });
    this.agentPool = new AgentPool(this, "agent-pool", {
      organization: organization.name,
      name: `${props.prefix}-lan`,
      organizationScoped: false,
    });
    this.agentToken = new AgentToken(this, "agent-token", {
      agentPoolId: this.agentPool.id,
      description: "tfc-agent on the Raspberry Pi (ansible/playbooks/rpi.yml, TFC_AGENT_TOKEN)",
    });

    const workspaces: Record<string, Workspace> = {};
    for (const w of props.workspaces) {
      workspaces[w.stack] = new Workspace(this, `${w.stack}-workspace`, {
        organization: organization.name,
        projectId: this.project.id,
        name: `${props.prefix}-${w.stack}`,
        description: w.description,
        terraformVersion: props.terraformVersion ?? WORKSPACE_TERRAFORM_VERSION,
        // CLI-driven (cdktf uploads the stack directory): no VCS, no file triggers, no auto-apply.
        autoApply: false,
        queueAllRuns: false,
        fileTriggersEnabled: false,
      });
    }
    this.workspaces = workspaces;
    const allowed = new AgentPoolAllowedWorkspaces(this, "agent-pool-workspaces", {
      agentPoolId: this.agentPool.id,
      allowedWorkspaceIds: props.workspaces.map((w) => workspaces[w.stack].id),
    });

    const settings: Record<string, WorkspaceSettings> = {};
    const variables: Record<string, Variable[]> = {};
    for (const w of props.workspaces) {
      settings[w.stack] = new WorkspaceSettings(this, `${w.stack}-settings`, {
        workspaceId: workspaces[w.stack].id,
        executionMode: "agent",
        agentPoolId: this.agentPool.id,
        globalRemoteState: false,
        remoteStateConsumerIds: (w.readBy ?? []).map((reader) => workspaces[reader].id),
        dependsOn: [allowed],
      });
      variables[w.stack] = (w.variables ?? []).map(
        (v) =>
          new Variable(this, `${w.stack}-${v.category}-${v.key}`, {
            workspaceId: workspaces[w.stack].id,
            key: v.key,
            value: v.from.stringValue,
            category: v.category,
            sensitive: v.sensitive,
            description: v.description,
          }),
      );
    }
    this.settings = settings;
    this.variables = variables;

    new TerraformOutput(this, "agent_token", {
      value: this.agentToken.token,
      sensitive: true,
      description: "Token of the lab's agent pool, for the Pi playbook: export TFC_AGENT_TOKEN=\"$(terraform -chdir=cdktf.out/stacks/tfc output -raw agent_token)\"",
    }).overrideLogicalId("agent_token");
    new TerraformOutput(this, "workspaces", {
      value: Object.fromEntries(props.workspaces.map((w) => [w.stack, workspaces[w.stack].name])),
      description: "The lab's workspaces, in agent execution mode on the lab's pool",
    }).overrideLogicalId("workspaces");
  }
}
