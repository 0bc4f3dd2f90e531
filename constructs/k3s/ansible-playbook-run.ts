import { createHash } from "node:crypto";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Resource } from "@cdktf/provider-null/lib/resource";

export interface AnsiblePlaybookRunProps {
  /** Directory holding ansible.cfg, relative to the stack directory (a `StackBundle` path, e.g. `AnsibleBundle.path`). */
  readonly ansibleDir: string;
  /** Playbook path relative to `ansibleDir`, e.g. `playbooks/site.yml`. */
  readonly playbook: string;
  /** Inventory path relative to `ansibleDir`. @default "inventory/hosts.yaml" */
  readonly inventory?: string;
  /** Hex SHA-256 of the inventory content: a changed inventory reruns the playbook. */
  readonly inventorySha256: string;
  /** Hex SHA-256 of ansible.cfg, playbooks and roles (see `ansibleTreeSha256`). */
  readonly treeSha256: string;
  /** Pinned versions the playbook installs, e.g. `{ k3s: "v1.35.8+k3s1" }`: hashed into a trigger. */
  readonly pinnedVersions: Readonly<Record<string, string>>;
  /**
   * Extra rerun triggers kept as values, e.g. the infra VMs' ids (Terraform references), so a
   * recreated VM is converged again. @default none
   */
  readonly rerunOn?: Readonly<Record<string, string>>;
  /**
   * Environment for ansible-playbook, e.g. `{ K3S_TOKEN: token.value }`. Values must be Terraform
   * references: Terraform hides sensitive ones in its output and none lands in cdktf.out.
   * @default none
   */
  readonly secretEnvironment?: Readonly<Record<string, string>>;
  /** `-e name=value` pairs (values may be Terraform references such as an `abspath()`). @default none */
  readonly extraVars?: Readonly<Record<string, string>>;
  /** Resources that must exist first (the inventory file, the VMs). @default none */
  readonly dependsOn?: ITerraformDependable[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const VAR_NAME = /^[a-z_][a-z0-9_]*$/;

/** Single-quotes a word for `sh -c`, so a path with spaces stays one argument. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * One `ansible-playbook` run on the deploying machine (a `null_resource` with a local-exec
 * provisioner). It reruns only when a trigger changes: the inventory, the Ansible tree, the pinned
 * versions, or an extra value such as a VM id. Secrets travel in the environment, never in a file
 * or the command line. Needs a `null` provider in the stack.
 */
export class AnsiblePlaybookRun extends Construct {
  public readonly resource: Resource;
  /** The trigger map as synthesized (hashes and references; no secret). */
  public readonly triggers: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AnsiblePlaybookRunProps) {
    super(scope, id);
    for (const [name, value] of [
      ["inventorySha256", props.inventorySha256],
      ["treeSha256", props.treeSha256],
    ] as const) {
      if (!SHA256_HEX.test(value)) {
        throw new Error(`AnsiblePlaybookRun ${id}: ${name} "${value}" is not a hex SHA-256 (64 lowercase hex digits); pass AnsibleInventory.sha256 / ansibleTreeSha256()`);
      }
    }
    if (!/^[A-Za-z0-9._/-]+\.ya?ml$/.test(props.playbook) || props.playbook.startsWith("/")) {
      throw new Error(`AnsiblePlaybookRun ${id}: playbook "${props.playbook}" must be a relative .yml path inside the ansible directory, e.g. playbooks/site.yml`);
    }
    const versions = Object.entries(props.pinnedVersions).sort(([a], [b]) => (a < b ? -1 : 1));
    if (versions.length === 0) {
      throw new Error(`AnsiblePlaybookRun ${id}: pinnedVersions is empty; name every version the playbook installs, e.g. { k3s: "v1.35.8+k3s1" }`);
    }
    const env = props.secretEnvironment ?? {};
    for (const [name, value] of Object.entries(env)) {
      if (!ENV_NAME.test(name)) {
        throw new Error(`AnsiblePlaybookRun ${id}: environment name "${name}" is not UPPER_SNAKE_CASE`);
      }
      if (!value.includes("${")) {
        throw new Error(`AnsiblePlaybookRun ${id}: environment ${name} is a literal; pass a Terraform reference (e.g. JoinToken.value) so no secret lands in cdktf.out`);
      }
    }
    const extraVars = Object.entries(props.extraVars ?? {});
    for (const [name] of extraVars) {
      if (!VAR_NAME.test(name)) throw new Error(`AnsiblePlaybookRun ${id}: extra var "${name}" is not a lowercase Ansible variable name`);
    }

    for (const name of Object.keys(props.rerunOn ?? {})) {
      if (["inventory_sha256", "ansible_tree_sha256", "versions_sha256"].includes(name)) {
        throw new Error(`AnsiblePlaybookRun ${id}: rerunOn key "${name}" collides with a built-in trigger; rename it`);
      }
    }
    this.triggers = {
      inventory_sha256: props.inventorySha256,
      ansible_tree_sha256: props.treeSha256,
      versions_sha256: sha256(versions.map(([k, v]) => `${k}=${v}`).join("\n")),
      ...props.rerunOn,
    };
    const command = [
      "ansible-playbook",
      "-i",
      shellQuote(props.inventory ?? "inventory/hosts.yaml"),
      ...extraVars.flatMap(([name, value]) => ["-e", shellQuote(`${name}=${value}`)]),
      shellQuote(props.playbook),
    ].join(" ");
    this.resource = new Resource(this, "run", {
      triggers: this.triggers,
      provisioners: [
        {
          type: "local-exec",
          command,
          workingDir: props.ansibleDir,
          // Named explicitly: Ansible silently skips ./ansible.cfg in a world-writable directory
          // and would then run without our roles_path.
          environment: { ANSIBLE_CONFIG: "ansible.cfg", ...env },
        },
      ],
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
