import { treeSha256 } from "../tree-hash";

/**
 * What a playbook run depends on inside ansible/: the config, every playbook and every role.
 * Not the inventory (hashed on its own) nor the CI rootfs cache.
 */
export const ANSIBLE_TREE_ENTRIES: readonly string[] = ["ansible.cfg", "playbooks", "roles"];

/** Hex SHA-256 over the Ansible tree under `ansibleDir` (see `treeSha256`). */
export function ansibleTreeSha256(ansibleDir: string): string {
  try {
    return treeSha256(ansibleDir, ANSIBLE_TREE_ENTRIES);
  } catch {
    throw new Error(`ansibleTreeSha256: no ansible.cfg, playbooks/ or roles/ under ${ansibleDir}; pass the project's ansible/ directory`);
  }
}
