import type { TerraformResource } from "cdktf";

/**
 * A resource's address as Terraform's `lifecycle.replace_triggered_by` needs it:
 * `type.name[.attribute]`, without `${}`. cdktf 0.21 renders a resource passed there as
 * "${type.name}", which Terraform rejects ("Invalid character"; hashicorp/terraform-cdk#3196).
 */
export function resourceAddress(resource: TerraformResource, attribute?: string): string {
  const address = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  return attribute ? `${address}.${attribute}` : address;
}
