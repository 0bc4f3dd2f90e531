import { HaPinning } from "../../../constructs/proxmox/ha-pinning";
import { synthJson } from "../../helpers";
import { loadProxmoxSchema, validateAgainstSchema } from "../../support/terraform-schema";
import { K3sNodeVm } from "../../../constructs/proxmox/k3s-node-vm";
import { only, testStack, vmProps } from "./fixtures";

const PINNED = { vmName: "k3s-master-1", vmId: 201, proxmoxNode: "pve-01" };

describe("HaPinning", () => {
  it("makes the VM an HA resource that restarts in place and never relocates", () => {
    const stack = testStack();
    new HaPinning(stack, "k3s-master-1-ha", PINNED);
    const json = synthJson(stack);
    expect(only(json, "proxmox_haresource")).toMatchObject({ resource_id: "vm:201", state: "started", max_restart: 3, max_relocate: 0 });
    expect(only(json, "proxmox_haresource").failback).toBeUndefined();
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("adds a strict node-affinity rule naming only the VM's node, created after the HA resource", () => {
    const stack = testStack();
    const ha = new HaPinning(stack, "k3s-master-1-ha", PINNED);
    const json = synthJson(stack);
    const rule = only(json, "proxmox_harule");
    expect(rule).toMatchObject({
      rule: "homelab-k3s-master-1-on-pve-01",
      type: "node-affinity",
      resources: ["vm:201"],
      nodes: { "pve-01": 1 },
      strict: true,
    });
    const resourceName = Object.keys(json.resource.proxmox_haresource)[0];
    expect(rule.depends_on).toEqual([`proxmox_haresource.${resourceName}`]);
    expect(ha.ruleId).toBe("homelab-k3s-master-1-on-pve-01");
    expect(ha.resourceId).toBe("vm:201");
  });

  it("is created after the VM it manages (and released before it is destroyed)", () => {
    const stack = testStack();
    const vm = new K3sNodeVm(stack, "k3s-master-1", vmProps(stack));
    new HaPinning(stack, "k3s-master-1-ha", { ...PINNED, dependsOn: [vm.vm] });
    const json = synthJson(stack);
    const vmName = Object.keys(json.resource.proxmox_virtual_environment_vm)[0];
    expect(only(json, "proxmox_haresource").depends_on).toEqual([`proxmox_virtual_environment_vm.${vmName}`]);
  });

  it("is re-created with the VM (bpg's purge on delete drops the VM from HA), as a plain address Terraform accepts", () => {
    const stack = testStack();
    const vm = new K3sNodeVm(stack, "k3s-master-1", vmProps(stack));
    new HaPinning(stack, "k3s-master-1-ha", { ...PINNED, dependsOn: [vm.vm], recreateWith: vm.generation });
    const json = synthJson(stack);
    const generation = Object.keys(json.resource.terraform_data)[0];
    for (const type of ["proxmox_haresource", "proxmox_harule"]) {
      expect(only(json, type).lifecycle).toEqual({ replace_triggered_by: [`terraform_data.${generation}`] });
    }
    // The VM's generation itself is replaced only when the VM's id becomes unknown, i.e. on re-creation.
    const vmName = Object.keys(json.resource.proxmox_virtual_environment_vm)[0];
    expect(json.resource.terraform_data[generation].lifecycle).toEqual({
      replace_triggered_by: [`proxmox_virtual_environment_vm.${vmName}.id`],
    });
    expect(JSON.stringify(json.resource.terraform_data)).not.toContain("${");
  });

  it("lets a VM on shared or replicated storage fail over, preferring its own node", () => {
    const stack = testStack();
    new HaPinning(stack, "ha", { ...PINNED, failoverNodes: ["pve-02"], storageSharedOrReplicated: true });
    const json = synthJson(stack);
    expect(only(json, "proxmox_haresource")).toMatchObject({ max_relocate: 1, failback: true });
    expect(only(json, "proxmox_harule")).toMatchObject({ nodes: { "pve-01": 2, "pve-02": 1 }, strict: true });
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("fails when failover is asked for a VM on local storage", () => {
    expect(() => new HaPinning(testStack(), "ha", { ...PINNED, failoverNodes: ["pve-02"] })).toThrow(
      "HaPinning k3s-master-1: failoverNodes [pve-02] needs storageSharedOrReplicated: a VM on pve-01's local storage cannot start elsewhere",
    );
  });

  it("fails when the failover nodes include the VM's own node", () => {
    expect(
      () => new HaPinning(testStack(), "ha", { ...PINNED, failoverNodes: ["pve-01"], storageSharedOrReplicated: true }),
    ).toThrow("HaPinning k3s-master-1: failoverNodes lists pve-01, the VM's own node; list only the other nodes");
  });

  it("fails when maxRestart is outside Proxmox's 0–10", () => {
    expect(() => new HaPinning(testStack(), "ha", { ...PINNED, maxRestart: 11 })).toThrow(
      "HaPinning k3s-master-1: maxRestart 11 must be a whole number from 0 to 10",
    );
  });

  it("fails when the VM id is not a Proxmox id", () => {
    expect(() => new HaPinning(testStack(), "ha", { ...PINNED, vmId: 42 })).toThrow("HaPinning k3s-master-1: vmId 42 is not a Proxmox VM id");
  });
});
