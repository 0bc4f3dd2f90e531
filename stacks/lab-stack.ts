import { CloudBackend, LocalBackend, NamedCloudWorkspace, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { LabConfig } from "../config/schema";
import { STACK_TO_ROOT, localStateFile } from "../config/paths";

export interface LabStackProps {
  readonly lab: LabConfig;
}

/**
 * A stack of the lab with its own state: a local file at the project root by default, or one
 * Terraform Cloud workspace per stack (`<prefix>-<stack>`) when the config names an organization.
 */
export abstract class LabStack extends TerraformStack {
  protected readonly lab: LabConfig;

  protected constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id);
    this.lab = props.lab;
    const tfc = props.lab.terraformCloud;
    if (tfc) {
      new CloudBackend(this, {
        hostname: tfc.hostname,
        organization: tfc.organization,
        workspaces: new NamedCloudWorkspace(`${tfc.workspacePrefix}-${id}`),
      });
    } else {
      new LocalBackend(this, { path: `${STACK_TO_ROOT}/${localStateFile(id)}` });
    }
  }
}
