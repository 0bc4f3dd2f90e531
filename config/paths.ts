/**
 * Where generated, git-ignored files live, relative to the project root. Terraform runs each
 * stack in `cdktf.out/stacks/<stack>`, so stacks reach the root through `STACK_TO_ROOT`.
 */
export const STACK_TO_ROOT = "../../..";

/** Inventory rendered from the config for every playbook (`npm run inventory` writes it too). */
export const INVENTORY_FILE = "ansible/inventory/hosts.yaml";

/** Admin kubeconfig fetched from the first K3s server, its server URL rewritten to the VIP. */
export const KUBECONFIG_FILE = ".kube/homelab.yaml";

/** Local Terraform state of a stack, kept at the project root (cdktf.out is disposable). */
export function localStateFile(stack: string): string {
  return `terraform.${stack}.tfstate`;
}

/** A root-relative path as seen from a stack's working directory. */
export function fromStack(rootRelative: string): string {
  return `\${path.root}/${STACK_TO_ROOT}/${rootRelative}`;
}
