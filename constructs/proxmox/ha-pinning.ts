import { Construct } from "constructs";
import type { ITerraformDependable, TerraformResource } from "cdktf";
import { Haresource } from "../../.gen/providers/proxmox/haresource";
import { Harule } from "../../.gen/providers/proxmox/harule";
import { resourceAddress } from "../resource-address";

export interface HaPinningProps {
  readonly vmName: string;
  readonly vmId: number;
  /** The node the VM lives on. */
  readonly proxmoxNode: string;
  /** Restarts Proxmox tries on the node before it gives up (state `error`). @default 3 */
  readonly maxRestart?: number;
  /**
   * Other nodes the VM may be recovered on when its node dies. Only for VMs whose disks every
   * listed node can read: shared storage (NFS, Ceph) or ZFS replication. @default [] (pinned)
   */
  readonly failoverNodes?: readonly string[];
  /** Must be true when failoverNodes is set: says the VM's disks survive the loss of its node. @default false */
  readonly storageSharedOrReplicated?: boolean;
  /** The VM: HA manages it only once it exists, and lets go of it before it is destroyed. */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Re-create the HA resource and rule whenever this is replaced (the VM's `generation`): bpg
   * deletes a VM with purge, which also removes it from Proxmox HA, so a replaced VM would
   * otherwise stay unmanaged until a second apply. @default none
   */
  readonly recreateWith?: TerraformResource;
}

/**
 * Proxmox HA for one VM (Proxmox VE 9: an HA resource plus a node-affinity rule; rules replaced
 * HA groups).
 *
 * Pinned by default: a strict rule naming only the VM's own node, and `max_relocate` 0. If the VM
 * crashes or is killed, the HA manager restarts it in place. If the node dies, the VM waits for it:
 * - its disks are on the node's local storage (local-lvm, the HDD), which no other node can read;
 * - a K3s server is an etcd member: running two on one host would let that host take quorum
 *   down with it. Kubernetes (3 servers, 2 needed) carries the service while one node is away.
 *
 * `failoverNodes` opts a VM into cross-node recovery (home node preferred, failback on), and is
 * refused unless `storageSharedOrReplicated` says the disks are reachable from those nodes.
 *
 * @example
 * new HaPinning(this, "k3s-master-1-ha", { vmName: "k3s-master-1", vmId: 201, proxmoxNode: "pve-01", dependsOn: [vm] });
 */
export class HaPinning extends Construct {
  public readonly resource: Haresource;
  public readonly rule: Harule;
  /** HA resource id, e.g. `vm:201`. */
  public readonly resourceId: string;
  /** HA rule id, e.g. `homelab-k3s-master-1-on-pve-01`. */
  public readonly ruleId: string;

  constructor(scope: Construct, id: string, props: HaPinningProps) {
    super(scope, id);
    const where = `HaPinning ${props.vmName}`;
    const maxRestart = props.maxRestart ?? 3;
    const failoverNodes = props.failoverNodes ?? [];
    if (!Number.isInteger(props.vmId) || props.vmId < 100) {
      throw new Error(`${where}: vmId ${props.vmId} is not a Proxmox VM id (100 or more)`);
    }
    if (!Number.isInteger(maxRestart) || maxRestart < 0 || maxRestart > 10) {
      throw new Error(`${where}: maxRestart ${maxRestart} must be a whole number from 0 to 10 (Proxmox's limit), e.g. 3`);
    }
    if (failoverNodes.length > 0 && !props.storageSharedOrReplicated) {
      throw new Error(
        `${where}: failoverNodes [${failoverNodes.join(", ")}] needs storageSharedOrReplicated: a VM on ` +
          `${props.proxmoxNode}'s local storage cannot start elsewhere; use shared storage or ZFS replication, or keep it pinned`,
      );
    }
    if (failoverNodes.includes(props.proxmoxNode)) {
      throw new Error(`${where}: failoverNodes lists ${props.proxmoxNode}, the VM's own node; list only the other nodes`);
    }

    this.resourceId = `vm:${props.vmId}`;
    this.ruleId = `homelab-${props.vmName}-on-${props.proxmoxNode}`;
    const pinned = failoverNodes.length === 0;
    this.resource = new Haresource(this, "resource", {
      resourceId: this.resourceId,
      state: "started",
      maxRestart,
      // 0: never move it to another node; restart in place only.
      maxRelocate: pinned ? 0 : 1,
      ...(pinned ? {} : { failback: true }),
      comment: pinned
        ? `${props.vmName}: restarted on ${props.proxmoxNode} if it dies, never moved (local disks; one etcd member per host). Managed by homelab.`
        : `${props.vmName}: recovered on ${failoverNodes.join(", ")} if ${props.proxmoxNode} dies (shared/replicated storage). Managed by homelab.`,
      dependsOn: props.dependsOn,
      ...(props.recreateWith ? { lifecycle: { replaceTriggeredBy: [resourceAddress(props.recreateWith)] } } : {}),
    });
    this.rule = new Harule(this, "rule", {
      rule: this.ruleId,
      type: "node-affinity",
      resources: [this.resourceId],
      // Higher priority wins: the home node first, the failover nodes only when it is gone.
      nodes: Object.fromEntries([[props.proxmoxNode, pinned ? 1 : 2], ...failoverNodes.map((n) => [n, 1])]),
      // Strict: the VM never runs on a node that is not listed, even if every listed node is down.
      strict: true,
      comment: `Keeps ${props.vmName} on ${[props.proxmoxNode, ...failoverNodes].join(", ")}. Managed by homelab.`,
      dependsOn: [this.resource],
      ...(props.recreateWith ? { lifecycle: { replaceTriggeredBy: [resourceAddress(props.recreateWith)] } } : {}),
    });
  }
}
