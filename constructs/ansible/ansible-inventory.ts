import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { File } from "@cdktf/provider-local/lib/file";
import type { LabConfig } from "../../config/schema";
import { INVENTORY_FILE, fromStack } from "../../config/paths";
import { renderInventory } from "./inventory";

export interface AnsibleInventoryProps {
  readonly lab: LabConfig;
  /**
   * Where Terraform writes the file, as seen from the stack's working directory.
   * @default fromStack(INVENTORY_FILE), i.e. ansible/inventory/hosts.yaml at the project root
   */
  readonly filename?: string;
}

/**
 * The generated inventory (ansible/inventory/hosts.yaml) as a `local_file`, so `cdktf deploy k3s`
 * refreshes it before any playbook runs. Its content is rendered at synth; it holds no secret.
 * Needs a `local` provider in the stack.
 */
export class AnsibleInventory extends Construct {
  public readonly file: File;
  /** The rendered YAML, exactly the bytes written. */
  public readonly content: string;
  /** Hex SHA-256 of `content`, computed at synth: a playbook run's rerun trigger. */
  public readonly sha256: string;

  constructor(scope: Construct, id: string, props: AnsibleInventoryProps) {
    super(scope, id);
    const filename = props.filename ?? fromStack(INVENTORY_FILE);
    if (!/\.ya?ml$/.test(filename)) {
      throw new Error(`AnsibleInventory ${id}: filename "${filename}" must end in .yaml or .yml so Ansible's YAML inventory plugin reads it`);
    }
    this.content = renderInventory(props.lab);
    this.sha256 = createHash("sha256").update(this.content).digest("hex");
    this.file = new File(this, "file", {
      filename,
      content: this.content,
      filePermission: "0644",
      directoryPermission: "0755",
    });
  }
}
