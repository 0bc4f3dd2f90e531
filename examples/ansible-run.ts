/**
 * A playbook run from Terraform with a generated secret in its environment: the K3s token never
 * reaches a file, the command line or cdktf.out, and the playbooks are copied into the stack.
 */
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { AnsiblePlaybookRun } from "../constructs/k3s/ansible-playbook-run";
import { JoinToken } from "../constructs/k3s/join-token";
import { StackBundle } from "../constructs/stack-bundle";

export function ansibleRunExample(app: App): TerraformStack {
  const stack = new TerraformStack(app, "example-ansible-run");
  new NullProvider(stack, "null");
  new RandomProvider(stack, "random");
  const token = new JoinToken(stack, "join-token");
  new AnsiblePlaybookRun(stack, "site", {
    // The playbooks travel inside the stack directory: the run reads nothing outside it.
    ansibleDir: new StackBundle(stack, "ansible", { root: join(__dirname, "..", "ansible"), entries: ["ansible.cfg", "playbooks", "roles"] }).path,
    playbook: "playbooks/site.yml",
    inventorySha256: "0".repeat(64),
    treeSha256: "1".repeat(64),
    pinnedVersions: { k3s: "v1.35.8+k3s1" },
    secretEnvironment: { K3S_TOKEN: token.value },
  });
  return stack;
}
