import { K3sNodeVm } from "../../../constructs/proxmox/k3s-node-vm";
import { CloudImage } from "../../../constructs/proxmox/cloud-image";
import { CloudInitSnippet } from "../../../constructs/proxmox/cloud-init-snippet";
import { synthJson } from "../../helpers";
import { loadProxmoxSchema, validateAgainstSchema } from "../../support/terraform-schema";
import { IMAGE, USER_DATA, only, testStack, vmProps } from "./fixtures";

function synthVm(overrides: Parameters<typeof vmProps>[1] = {}) {
  const stack = testStack();
  const construct = new K3sNodeVm(stack, "k3s-master-1", vmProps(stack, overrides));
  const json = synthJson(stack);
  const names = {
    image: Object.keys(json.resource.proxmox_download_file)[0],
    snippet: Object.keys(json.resource.proxmox_virtual_environment_file)[0],
  };
  return { construct, json, vm: only(json, "proxmox_virtual_environment_vm"), names };
}

describe("K3sNodeVm", () => {
  it("is valid for bpg/proxmox 0.111.1", () => {
    expect(validateAgainstSchema(synthVm().json, loadProxmoxSchema())).toEqual([]);
  });

  it("pins the VM to its node with the config's id, name, sorted tags and startup order", () => {
    const { vm } = synthVm({ tags: ["server", "k3s", "homelab"] });
    expect(vm).toMatchObject({
      vm_id: 201,
      name: "k3s-master-1",
      node_name: "pve-01",
      tags: ["homelab", "k3s", "server"],
      on_boot: true,
      started: true,
      startup: { order: 1, up_delay: 30, down_delay: 60 },
    });
  });

  it("uses the default machine (NIC named ens18 in the guest, not q35's enp6s18), SeaBIOS, host CPU and dedicated memory without ballooning", () => {
    const { vm } = synthVm();
    expect(vm.machine).toBeUndefined();
    expect(vm).toMatchObject({
      bios: "seabios",
      operating_system: { type: "l26" },
      cpu: { type: "host", cores: 4, sockets: 1 },
      memory: { dedicated: 12288, floating: 0 },
      scsi_hardware: "virtio-scsi-single",
    });
    expect(vm.efi_disk).toBeUndefined();
  });

  it("enables the guest agent with a bounded timeout and never waits for it to report an address", () => {
    expect(synthVm().vm.agent).toEqual({ enabled: true, timeout: "2m", trim: true, wait_for_ip: { disabled: true } });
  });

  it("puts the OS disk on the SSD storage, imported from the node's cloud image", () => {
    const { vm, names } = synthVm();
    expect(vm.disk[0]).toEqual({
      interface: "scsi0",
      datastore_id: "local-lvm",
      file_id: `\${proxmox_download_file.${names.image}.id}`,
      size: 40,
      iothread: true,
      discard: "on",
      ssd: true,
    });
  });

  it("adds an empty Longhorn disk on the HDD storage by default, outside vzdump backups", () => {
    const { vm } = synthVm();
    expect(vm.disk[1]).toEqual({
      interface: "scsi1",
      datastore_id: "hdd",
      size: 200,
      iothread: true,
      discard: "on",
      ssd: false,
      backup: false,
      serial: "longhorn-data",
    });
    expect(vm.disk[1].file_id).toBeUndefined();
  });

  it("puts the Longhorn disk on the SSD storage when asked", () => {
    const { vm } = synthVm({ dataDiskStorage: "ssd", dataDiskGiB: 100 });
    expect(vm.disk[1]).toMatchObject({ datastore_id: "local-lvm", ssd: true, size: 100 });
  });

  it("attaches a virtio NIC to the bridge, every other key left to the provider", () => {
    expect(synthVm().vm.network_device).toEqual([
      {
        bridge: "vmbr0",
        model: "virtio",
        enabled: true,
        firewall: false,
        disconnected: false,
        mac_address: null,
        mtu: null,
        queues: null,
        rate_limit: null,
        trunks: null,
        vlan_id: null,
      },
    ]);
  });

  it("sets the static address, gateway, DNS and user data through cloud-init", () => {
    const { vm, names } = synthVm();
    expect(vm.initialization).toEqual({
      datastore_id: "local-lvm",
      ip_config: [{ ipv4: { address: "192.168.1.21/24", gateway: "192.168.1.1" } }],
      dns: { servers: ["192.168.1.1"], domain: "home.arpa" },
      user_data_file_id: `\${proxmox_virtual_environment_file.${names.snippet}.id}`,
    });
  });

  it("has a serial console for the cloud image", () => {
    expect(synthVm().vm.serial_device).toEqual([{ device: "socket" }]);
  });

  it("ignores only the first-boot inputs that must not replace or re-initialize a running server, and refuses destruction", () => {
    expect(synthVm().vm.lifecycle).toEqual({
      ignore_changes: ["disk[0].file_id", "initialization[0].user_data_file_id"],
      prevent_destroy: true,
    });
  });

  it("is guarded by its name (an etcd member and Longhorn replicas); lifting the guard keeps the rest of the lifecycle", () => {
    const stack = testStack();
    const construct = new K3sNodeVm(stack, "k3s-master-1", vmProps(stack));
    expect(construct.guard).toMatchObject({ name: "k3s-master-1", guarded: true });
    construct.guard!.allowDestroy();
    expect(only(synthJson(stack), "proxmox_virtual_environment_vm").lifecycle).toEqual({
      ignore_changes: ["disk[0].file_id", "initialization[0].user_data_file_id"],
    });
  });

  it("carries the preconditions it is given, such as its snippet's mustNotContain", () => {
    const stack = testStack();
    const props = vmProps(stack);
    new K3sNodeVm(stack, "k3s-master-1", { ...props, preconditions: [props.userData.mustNotContain("test@example", "no test keys")] });
    const json = synthJson(stack);
    const snippet = Object.keys(json.resource.proxmox_virtual_environment_file)[0];
    expect(only(json, "proxmox_virtual_environment_vm").lifecycle.precondition).toEqual([
      {
        condition: `\${!strcontains(proxmox_virtual_environment_file.${snippet}.source_raw[0].data, "test@example")}`,
        error_message: "no test keys",
      },
    ]);
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("its generation is made after the VM and replaced only with it (what reruns the K3s playbook)", () => {
    const { json } = synthVm();
    const [vmId] = Object.keys(json.resource.proxmox_virtual_environment_vm);
    expect(only(json, "terraform_data")).toEqual({
      depends_on: [`proxmox_virtual_environment_vm.${vmId}`],
      lifecycle: { replace_triggered_by: [`proxmox_virtual_environment_vm.${vmId}.id`] },
    });
  });

  it("exposes its name, id, node and address from the config", () => {
    const { construct } = synthVm();
    expect(construct).toMatchObject({ name: "k3s-master-1", vmId: 201, proxmoxNode: "pve-01", ipv4Address: "192.168.1.21" });
  });

  it("fails when memory is zero", () => {
    expect(() => synthVm({ memoryMiB: 0 })).toThrow(
      "K3sNodeVm k3s-master-1: memoryMiB is 0; it must be a positive whole number (MiB of dedicated RAM, e.g. 8192)",
    );
  });

  it("fails when cores is not a whole number", () => {
    expect(() => synthVm({ cores: 2.5 })).toThrow("K3sNodeVm k3s-master-1: cores is 2.5; it must be a positive whole number");
  });

  it("fails when the data storage option is unknown", () => {
    expect(() => synthVm({ dataDiskStorage: "nvme" as "ssd" })).toThrow(
      'K3sNodeVm k3s-master-1: dataDiskStorage "nvme" is unknown; use "ssd" or "hdd"',
    );
  });

  it("fails when the VM id is outside Proxmox's range", () => {
    expect(() => synthVm({ vmId: 99 })).toThrow("K3sNodeVm k3s-master-1: vmId 99 is outside Proxmox's range 100–999999999");
  });

  it("fails when the cloud image was downloaded on another node", () => {
    const stack = testStack();
    const otherImage = new CloudImage(stack, "image-pve-02", { ...IMAGE, proxmoxNode: "pve-02" });
    expect(() => new K3sNodeVm(stack, "vm", vmProps(stack, { cloudImage: otherImage }))).toThrow(
      "K3sNodeVm k3s-master-1: the cloud image is on pve-02 but the VM is on pve-01; images are node-local, pass the CloudImage of pve-01",
    );
  });

  it("fails when the snippet was uploaded to another node", () => {
    const stack = testStack();
    const otherSnippet = new CloudInitSnippet(stack, "snippet-pve-03", { ...USER_DATA, proxmoxNode: "pve-03" });
    expect(() => new K3sNodeVm(stack, "vm", vmProps(stack, { userData: otherSnippet }))).toThrow(
      "K3sNodeVm k3s-master-1: the cloud-init snippet is on pve-03 but the VM is on pve-01",
    );
  });

  it("fails when the address carries a prefix", () => {
    expect(() => synthVm({ ipv4Address: "192.168.1.21/24" })).toThrow(
      'K3sNodeVm k3s-master-1: ipv4Address "192.168.1.21/24" is not an IPv4 address such as 192.168.1.21 (no prefix)',
    );
  });

  it("fails when the gateway is outside the VM's subnet", () => {
    expect(() => synthVm({ gateway: "192.168.2.1" })).toThrow(
      "K3sNodeVm k3s-master-1: gateway 192.168.2.1 is not in the VM's subnet 192.168.1.21/24",
    );
  });

  it("fails when the agent timeout is unbounded or malformed", () => {
    expect(() => synthVm({ agentTimeout: "forever" })).toThrow('K3sNodeVm k3s-master-1: agentTimeout "forever" must be a duration such as 90s or 2m');
  });

  it("fails when no DNS server is given", () => {
    expect(() => synthVm({ dnsServers: [] })).toThrow("K3sNodeVm k3s-master-1: dnsServers is empty");
  });

  it("fails when a storage is empty", () => {
    expect(() => synthVm({ hddDatastoreId: "" })).toThrow("K3sNodeVm k3s-master-1: hddDatastoreId is empty; name the Proxmox storage, e.g. local-lvm");
  });
});

describe("K3sNodeVm as an agent", () => {
  it("is a server unless told: description, tags and guard of an etcd member", () => {
    const { construct, vm } = synthVm();
    expect(construct.role).toBe("server");
    expect(vm.tags).toEqual(["homelab", "k3s", "server"]);
    expect(vm.description).toMatch(/^K3s server \(control plane \+ etcd \+ workloads\)/);
    expect(construct.guard?.holds).toBe("an etcd member (OS disk) and its Longhorn replicas (data disk)");
  });

  it("an agent with a Longhorn disk: the same VM, agent description and tags, guarded for its replicas", () => {
    const { construct, vm } = synthVm({ role: "agent" });
    expect(vm.tags).toEqual(["agent", "homelab", "k3s"]);
    expect(vm.description).toBe("K3s agent (worker: kubelet and containerd, no etcd). Managed by homelab (CDKTF): edit homelab.yaml, not this VM.");
    expect(vm.disk.map((d: any) => [d.interface, d.serial ?? null])).toEqual([["scsi0", null], ["scsi1", "longhorn-data"]]);
    expect(construct.guard?.holds).toBe("its Longhorn replicas (data disk)");
    expect(vm.lifecycle.prevent_destroy).toBe(true);
  });

  it("an agent without a Longhorn disk: one disk, no guard (it holds nothing the cluster cannot re-create)", () => {
    const { construct, vm } = synthVm({ role: "agent", dataDiskGiB: undefined });
    expect(vm.disk.map((d: any) => d.interface)).toEqual(["scsi0"]);
    expect(construct.guard).toBeUndefined();
    expect(vm.lifecycle).toEqual({ ignore_changes: ["disk[0].file_id", "initialization[0].user_data_file_id"] });
  });

  it("an agent HA may move: OS disk and cloud-init drive on the given storage, node_name left to HA", () => {
    const { vm } = synthVm({ role: "agent", dataDiskGiB: undefined, movedByHa: true, osDatastoreId: "nfs-vm" });
    expect(vm.disk[0].datastore_id).toBe("nfs-vm");
    expect(vm.initialization.datastore_id).toBe("nfs-vm");
    expect(vm.lifecycle.ignore_changes).toEqual(["disk[0].file_id", "initialization[0].user_data_file_id", "node_name"]);
    expect(validateAgainstSchema(synthVm({ role: "agent", dataDiskGiB: undefined, movedByHa: true, osDatastoreId: "nfs-vm" }).json, loadProxmoxSchema())).toEqual([]);
  });

  it("fails when a server has no Longhorn disk", () => {
    expect(() => synthVm({ dataDiskGiB: undefined })).toThrow("K3sNodeVm k3s-master-1: a server needs its Longhorn disk; set dataDiskGiB, e.g. 200");
  });

  it("fails when a server would be moved by HA", () => {
    expect(() => synthVm({ movedByHa: true })).toThrow(
      "K3sNodeVm k3s-master-1: a server is never moved (one etcd member per host, local disks); movedByHa is for agents only",
    );
  });

  it("fails when an agent that HA may move has a data disk", () => {
    expect(() => synthVm({ role: "agent", movedByHa: true })).toThrow(
      "K3sNodeVm k3s-master-1: movedByHa with a data disk: the Longhorn disk lives on pve-01's own storage; remove dataDiskGiB or movedByHa",
    );
  });

  it("fails on an unknown role", () => {
    expect(() => synthVm({ role: "worker" as never })).toThrow('K3sNodeVm k3s-master-1: role "worker" is unknown; use "server" or "agent"');
  });
});
