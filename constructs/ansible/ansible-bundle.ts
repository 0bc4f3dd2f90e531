import { createHash } from "node:crypto";
import { Construct } from "constructs";
import type { LabConfig } from "../../config/schema";
import { StackBundle } from "../stack-bundle";
import { renderInventory } from "./inventory";
import { ANSIBLE_TREE_ENTRIES, ansibleTreeSha256 } from "./tree-hash";

/** Where the generated inventory sits inside the bundle (ansible.cfg's `inventory` default). */
export const BUNDLED_INVENTORY = "inventory/hosts.yaml";

export interface AnsibleBundleProps {
  readonly lab: LabConfig;
  /** The project's ansible/ folder, read at synth (absolute). */
  readonly ansibleDir: string;
  /** Hash of the Ansible tree for the rerun trigger. @default ansibleTreeSha256(ansibleDir) */
  readonly treeSha256?: string;
}

/**
 * The project's Ansible tree (ansible.cfg, requirements.yml, playbooks, roles) and the inventory
 * rendered from the config, copied into the stack directory at synth (a `StackBundle`): a
 * playbook run reads nothing outside it, on the laptop as on a Terraform Cloud agent. The
 * inventory holds no secret (addresses, names, versions). `npm run inventory` writes the same
 * inventory at the project root for playbooks run by hand.
 */
export class AnsibleBundle extends Construct {
  public readonly bundle: StackBundle;
  /** The rendered inventory, exactly the bytes in the bundle. */
  public readonly inventoryContent: string;
  /** Hex SHA-256 of the inventory (a rerun trigger of its own). */
  public readonly inventorySha256: string;
  /** Hex SHA-256 of ansible.cfg, playbooks and roles (see `ansibleTreeSha256`). */
  public readonly treeSha256: string;

  constructor(scope: Construct, id: string, props: AnsibleBundleProps) {
    super(scope, id);
    this.inventoryContent = renderInventory(props.lab);
    this.inventorySha256 = createHash("sha256").update(this.inventoryContent).digest("hex");
    this.treeSha256 = props.treeSha256 ?? ansibleTreeSha256(props.ansibleDir);
    this.bundle = new StackBundle(this, "files", {
      root: props.ansibleDir,
      entries: [...ANSIBLE_TREE_ENTRIES, "requirements.yml"],
      generated: { [BUNDLED_INVENTORY]: this.inventoryContent },
    });
  }

  /** The bundle's folder as Terraform sees it from the stack directory: the playbooks' working directory. */
  public get path(): string {
    return this.bundle.path;
  }
}
