/** The cloud-init user data of every VM, exactly as the infra stack uploads it (its snippets). */
import { Testing } from "cdktf";
import type { LabConfig } from "../../../../config/schema";
import { CloudInitSnippet } from "../../../../constructs/proxmox/cloud-init-snippet";
import { InfraStack } from "../../../../stacks/infra-stack";

export interface VmUserData {
  readonly hostname: string;
  readonly userData: string;
}

export function vmUserData(lab: LabConfig): VmUserData[] {
  const stack = new InfraStack(Testing.app(), "infra", { lab });
  return stack.node
    .findAll()
    .filter((c): c is CloudInitSnippet => c instanceof CloudInitSnippet)
    .map((snippet) => ({ hostname: snippet.userData.match(/^hostname: (\S+)$/m)?.[1] ?? "", userData: snippet.userData }));
}
