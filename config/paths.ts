/**
 * Where generated, git-ignored files live, relative to the project root. Terraform runs each
 * stack in `cdktf.out/stacks/<stack>`. A stack reads nothing outside that directory (what it
 * needs is copied in at synth, see constructs/stack-bundle.ts); only local state, which is the
 * backend and not an input of the plan, is kept at the root, reached through `STACK_TO_ROOT`.
 */
export const STACK_TO_ROOT = "../../..";

/** Inventory rendered from the config for playbooks run by hand (`npm run inventory` writes it). */
export const INVENTORY_FILE = "ansible/inventory/hosts.yaml";

/** Local Terraform state of a stack, kept at the project root (cdktf.out is disposable). */
export function localStateFile(stack: string): string {
  return `terraform.${stack}.tfstate`;
}
