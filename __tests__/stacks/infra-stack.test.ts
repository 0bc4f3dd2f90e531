import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { InfraStack } from "../../stacks/infra-stack";
import { labWith, loadLab, synthJson, validLab } from "../helpers";
import { loadProxmoxSchema, validateAgainstSchema } from "../support/terraform-schema";

function synthInfra(lab = loadLab()) {
  const stack = new InfraStack(Testing.app(), "infra", { lab });
  return { stack, json: synthJson(stack) };
}

const { stack, json } = synthInfra();
const resources = (type: string): Array<[string, Record<string, any>]> => Object.entries(json.resource[type] ?? {});
const vms = resources("proxmox_virtual_environment_vm").map(([, vm]) => vm);
const byName = (name: string) => vms.find((vm) => vm.name === name)!;

describe("InfraStack (default lab)", () => {
  it("matches the snapshot", () => {
    expect(json).toMatchSnapshot();
  });

  it("passes the bpg/proxmox 0.111.1 schema check", () => {
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("creates 3 VMs with ids 201–203 and addresses .21–.23/24, each on its own node", () => {
    expect(vms.map((vm) => [vm.name, vm.vm_id, vm.node_name, vm.initialization.ip_config[0].ipv4.address])).toEqual([
      ["k3s-master-1", 201, "pve-01", "192.168.1.21/24"],
      ["k3s-master-2", 202, "pve-02", "192.168.1.22/24"],
      ["k3s-master-3", 203, "pve-03", "192.168.1.23/24"],
    ]);
    for (const vm of vms) expect(vm.initialization.ip_config[0].ipv4.gateway).toBe("192.168.1.1");
  });

  it("sizes each VM from the config: cores, memory without ballooning, disks on the node's storages", () => {
    expect(byName("k3s-master-3")).toMatchObject({ cpu: { cores: 4, type: "host" }, memory: { dedicated: 8192, floating: 0 } });
    for (const vm of vms) {
      expect(vm.disk.map((d: any) => [d.interface, d.datastore_id, d.size])).toEqual([
        ["scsi0", "local-lvm", 40],
        ["scsi1", "hdd", 200],
      ]);
    }
  });

  it("downloads the pinned Debian 13 image once per Proxmox node", () => {
    const downloads = resources("proxmox_download_file").map(([, d]) => d);
    expect(downloads.map((d) => d.node_name)).toEqual(["pve-01", "pve-02", "pve-03"]);
    for (const d of downloads) {
      expect(d).toMatchObject({ content_type: "iso", datastore_id: "local", overwrite: false, checksum_algorithm: "sha512" });
      expect(d.url).toMatch(/^https:\/\/cloud\.debian\.org\/images\/cloud\/trixie\/20260712-2537\//);
    }
  });

  it("seeds each VM's OS disk from the image on its own node", () => {
    const imageOf = Object.fromEntries(resources("proxmox_download_file").map(([name, d]) => [d.node_name, name]));
    for (const vm of vms) expect(vm.disk[0].file_id).toBe(`\${proxmox_download_file.${imageOf[vm.node_name]}.id}`);
  });

  it("uploads one cloud-init snippet per VM to that VM's node, and the VM uses it", () => {
    const snippets = resources("proxmox_virtual_environment_file");
    expect(snippets.map(([, s]) => [s.node_name, s.source_raw.file_name, s.content_type])).toEqual([
      ["pve-01", "k3s-master-1-user-data.yaml", "snippets"],
      ["pve-02", "k3s-master-2-user-data.yaml", "snippets"],
      ["pve-03", "k3s-master-3-user-data.yaml", "snippets"],
    ]);
    for (const [name, snippet] of snippets) {
      const vm = vms.find((v) => v.initialization.user_data_file_id === `\${proxmox_virtual_environment_file.${name}.id}`);
      expect(vm?.node_name).toBe(snippet.node_name);
      expect(parse(snippet.source_raw.data).hostname).toBe(vm?.name);
    }
  });

  it("pins every VM with an HA resource and a strict node-affinity rule for its node", () => {
    const haResources = resources("proxmox_haresource").map(([, r]) => r);
    expect(haResources.map((r) => [r.resource_id, r.state, r.max_relocate])).toEqual([
      ["vm:201", "started", 0],
      ["vm:202", "started", 0],
      ["vm:203", "started", 0],
    ]);
    const rules = resources("proxmox_harule").map(([, r]) => r);
    expect(rules.map((r) => [r.rule, r.type, r.resources, r.nodes, r.strict])).toEqual([
      ["homelab-k3s-master-1-on-pve-01", "node-affinity", ["vm:201"], { "pve-01": 1 }, true],
      ["homelab-k3s-master-2-on-pve-02", "node-affinity", ["vm:202"], { "pve-02": 1 }, true],
      ["homelab-k3s-master-3-on-pve-03", "node-affinity", ["vm:203"], { "pve-03": 1 }, true],
    ]);
  });

  it("configures the provider for the first node's API and SSH to all three nodes", () => {
    expect(json.provider.proxmox).toHaveLength(1);
    const provider = json.provider.proxmox[0];
    expect(provider.endpoint).toBe("https://192.168.1.11:8006/");
    expect(provider.ssh[0].node).toEqual([
      { name: "pve-01", address: "192.168.1.11" },
      { name: "pve-02", address: "192.168.1.12" },
      { name: "pve-03", address: "192.168.1.13" },
    ]);
  });

  it("contains no secret: no API token, password or private key", () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/api_token|"password"|private_key|PRIVATE KEY|auth_ticket|PVEAPIToken/);
    expect(json.provider.proxmox[0]).not.toHaveProperty("username");
  });

  it("outputs each server's VM id, address and node", () => {
    expect(Object.keys(json.output)).toEqual(["servers"]);
    expect(json.output.servers.value["k3s-master-2"]).toEqual({
      vm_id: expect.stringMatching(/^\$\{proxmox_virtual_environment_vm\.k3s-master-2_vm_[0-9A-F]+\.vm_id\}$/),
      ip: "192.168.1.22",
      node: "pve-02",
    });
  });

  it("outputs every server of the config, each with its own VM's id", () => {
    const lab = loadLab();
    expect(Object.keys(json.output.servers.value)).toEqual(lab.k3s.servers.map((s) => s.name));
    for (const server of lab.k3s.servers) {
      expect(json.output.servers.value[server.name]).toEqual({
        vm_id: expect.stringMatching(new RegExp(`^\\$\\{proxmox_virtual_environment_vm\\.${server.name}_vm_[0-9A-F]+\\.vm_id\\}$`)),
        ip: server.address,
        node: server.proxmoxNode,
      });
    }
  });

  it("exposes the servers to the k3s stack, with a reference to each VM", () => {
    expect(stack.servers.map(({ name, vmId, address, proxmoxNode }) => ({ name, vmId, address, proxmoxNode }))).toEqual([
      { name: "k3s-master-1", vmId: 201, address: "192.168.1.21", proxmoxNode: "pve-01" },
      { name: "k3s-master-2", vmId: 202, address: "192.168.1.22", proxmoxNode: "pve-02" },
      { name: "k3s-master-3", vmId: 203, address: "192.168.1.23", proxmoxNode: "pve-03" },
    ]);
  });

  it("lets another stack reference a server VM across stacks (cdktf remote state)", () => {
    const app = Testing.app();
    const infra = new InfraStack(app, "infra", { lab: loadLab() });
    const consumer = new TerraformStack(app, "consumer");
    new TerraformOutput(consumer, "first_vm", { value: infra.servers[0].idToken });
    consumer.prepareStack(); // what app.synth() does: resolves cross-stack references
    const consumerJson = JSON.parse(Testing.synth(consumer));
    expect(Object.keys(consumerJson.data.terraform_remote_state)).toEqual([expect.stringMatching(/infra/)]);
    expect(consumerJson.output.first_vm.value).toMatch(/^\$\{data\.terraform_remote_state\..*infra.*\.outputs\./);
    const infraOutputs = Object.keys(JSON.parse(Testing.synth(infra)).output);
    expect(infraOutputs).toEqual(expect.arrayContaining(["servers", expect.stringMatching(/^cross-stack-output-/)]));
  });

  it("keeps resource names stable: they come from config names, not positions", () => {
    const names = Object.values(json.resource).flatMap((instances: any) => Object.keys(instances));
    for (const name of names) expect(name).toMatch(/^(image-pve-0\d|k3s-master-\d(-cloud-init|-ha)?)_/);
  });
});

describe("InfraStack (config variants)", () => {
  it("uses the Ubuntu image when the config selects it", () => {
    const { json: ubuntu } = synthInfra(validLab(labWith({ "vm.image": "ubuntu-24.04" })));
    const downloads = Object.values<any>(ubuntu.resource.proxmox_download_file);
    expect(downloads.map((d) => [d.file_name, d.checksum_algorithm])).toEqual(
      Array(3).fill(["ubuntu-24.04-server-cloudimg-amd64-20260926.img", "sha256"]),
    );
  });

  it("puts a server's Longhorn disk on the SSD storage when its dataStorage says so", () => {
    const { json: ssd } = synthInfra(validLab(labWith({ "k3s.servers[0].dataStorage": "ssd" })));
    const vm = Object.values<any>(ssd.resource.proxmox_virtual_environment_vm).find((v) => v.name === "k3s-master-1");
    expect(vm.disk[1]).toMatchObject({ datastore_id: "local-lvm", ssd: true });
  });

  it("derives the prefix length from the LAN's CIDR", () => {
    const lab = validLab(
      labWith({
        "network.cidr": "192.168.0.0/23",
      }),
    );
    const { json: wide } = synthInfra(lab);
    const addresses = Object.values<any>(wide.resource.proxmox_virtual_environment_vm).map((v) => v.initialization.ip_config[0].ipv4.address);
    expect(addresses).toEqual(["192.168.1.21/23", "192.168.1.22/23", "192.168.1.23/23"]);
  });

  it("fails when a server is placed on a node the config does not list", () => {
    const lab = loadLab();
    const broken = { ...lab, k3s: { ...lab.k3s, servers: [{ ...lab.k3s.servers[0], proxmoxNode: "pve-09" }] } };
    expect(() => synthInfra(broken)).toThrow("InfraStack: k3s-master-1 is on pve-09, which is not in proxmox.nodes");
  });
});

describe("InfraStack (agents lab: 3 servers, 2 agents on pve-04)", () => {
  const { stack: agentsStack, json: agentsJson } = synthInfra(loadLab("agents"));
  // Terraform JSON lists resources by name; sorted by VM id here, as the config lists them.
  const all = Object.values<any>(agentsJson.resource.proxmox_virtual_environment_vm).sort((a, b) => a.vm_id - b.vm_id);
  const vm = (name: string) => all.find((v) => v.name === name);

  it("passes the bpg/proxmox 0.111.1 schema check", () => {
    expect(validateAgainstSchema(agentsJson, loadProxmoxSchema())).toEqual([]);
  });

  it("creates the agents beside the servers, each with its id, node, address and size from the config", () => {
    expect(all.map((v) => [v.name, v.vm_id, v.node_name, v.initialization.ip_config[0].ipv4.address, v.cpu.cores, v.memory.dedicated])).toEqual([
      ["k3s-master-1", 201, "pve-01", "192.168.1.21/24", 4, 12288],
      ["k3s-master-2", 202, "pve-02", "192.168.1.22/24", 4, 12288],
      ["k3s-master-3", 203, "pve-03", "192.168.1.23/24", 4, 8192],
      ["k3s-agent-1", 211, "pve-04", "192.168.1.31/24", 8, 16384],
      ["k3s-agent-2", 212, "pve-04", "192.168.1.32/24", 4, 8192],
    ]);
  });

  it("builds an agent like a server (image of its node, cloud-init, CPU type, no ballooning, startup after the servers), tagged agent", () => {
    const [server, agent] = [vm("k3s-master-1"), vm("k3s-agent-1")];
    for (const key of ["bios", "cpu", "scsi_hardware", "agent", "network_device", "serial_device", "operating_system", "on_boot", "started"]) {
      if (key === "cpu") expect(agent.cpu).toEqual({ ...server.cpu, cores: 8 });
      else expect([key, agent[key]]).toEqual([key, server[key]]);
    }
    expect(agent.memory.floating).toBe(0);
    expect(agent.startup).toEqual({ order: 2, up_delay: 30, down_delay: 60 });
    expect(agent.tags).toEqual(["agent", "homelab", "k3s"]);
    expect(agent.description).toMatch(/^K3s agent \(worker: kubelet and containerd, no etcd\)/);
    const image = Object.entries<any>(agentsJson.resource.proxmox_download_file).find(([, d]) => d.node_name === "pve-04")![0];
    expect(agent.disk[0].file_id).toBe(`\${proxmox_download_file.${image}.id}`);
    expect(agent.lifecycle.ignore_changes).toEqual(server.lifecycle.ignore_changes);
  });

  it("gives the Longhorn disk only to the agent whose config has one, and guards only VMs holding data", () => {
    expect(vm("k3s-agent-1").disk.map((d: any) => [d.interface, d.datastore_id, d.size, d.serial ?? null])).toEqual([
      ["scsi0", "local-lvm", 40, null],
      ["scsi1", "hdd", 500, "longhorn-data"],
    ]);
    expect(vm("k3s-agent-2").disk.map((d: any) => d.interface)).toEqual(["scsi0"]);
    expect(vm("k3s-agent-1").lifecycle.prevent_destroy).toBe(true);
    expect(vm("k3s-agent-2").lifecycle).not.toHaveProperty("prevent_destroy");
  });

  it("pins every agent with HA like a server: restarted in place, never moved", () => {
    const rules = Object.values<any>(agentsJson.resource.proxmox_harule).filter((r) => r.rule.includes("agent"));
    expect(rules.map((r) => [r.rule, r.resources, r.nodes, r.strict])).toEqual([
      ["homelab-k3s-agent-1-on-pve-04", ["vm:211"], { "pve-04": 1 }, true],
      ["homelab-k3s-agent-2-on-pve-04", ["vm:212"], { "pve-04": 1 }, true],
    ]);
    const ha = Object.values<any>(agentsJson.resource.proxmox_haresource).filter((r) => ["vm:211", "vm:212"].includes(r.resource_id));
    expect(ha.map((r) => r.max_relocate)).toEqual([0, 0]);
  });

  it("outputs the agents apart from the servers, and hands them to the k3s stack", () => {
    expect(Object.keys(agentsJson.output).sort()).toEqual(["agents", "servers"]);
    expect(Object.keys(agentsJson.output.servers.value)).toEqual(["k3s-master-1", "k3s-master-2", "k3s-master-3"]);
    expect(agentsJson.output.agents.value["k3s-agent-2"]).toEqual({
      vm_id: expect.stringMatching(/^\$\{proxmox_virtual_environment_vm\.k3s-agent-2_vm_[0-9A-F]+\.vm_id\}$/),
      ip: "192.168.1.32",
      node: "pve-04",
    });
    expect(agentsStack.agents.map(({ name, vmId }) => [name, vmId])).toEqual([
      ["k3s-agent-1", 211],
      ["k3s-agent-2", 212],
    ]);
  });

  it("an agent may share a node with a server", () => {
    const raw = labWith({
      "k3s.servers[0].memoryMiB": 8192,
      "k3s.agents": [{ name: "k3s-agent-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-01", memoryMiB: 4096 }],
    });
    const { json: shared } = synthInfra(validLab(raw));
    const onPve01 = Object.values<any>(shared.resource.proxmox_virtual_environment_vm).filter((v) => v.node_name === "pve-01");
    expect(onPve01.map((v) => v.name).sort()).toEqual(["k3s-agent-1", "k3s-master-1"]);
  });

  describe("an agent with failover (disks on shared storage)", () => {
    const raw = labWith({
      "proxmox.sharedStorage": ["nfs-vm"],
      "k3s.servers[0].memoryMiB": 8192,
      "k3s.agents": [
        { name: "k3s-agent-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-01", memoryMiB: 4096, failover: { nodes: ["pve-02", "pve-03"], storage: "nfs-vm" } },
      ],
    });
    const { json: moving } = synthInfra(validLab(raw));
    const agent = Object.values<any>(moving.resource.proxmox_virtual_environment_vm).find((v) => v.name === "k3s-agent-1");

    it("keeps its OS disk and cloud-init drive on the shared storage, and leaves node_name to HA", () => {
      expect(agent.disk.map((d: any) => [d.interface, d.datastore_id])).toEqual([["scsi0", "nfs-vm"]]);
      expect(agent.initialization.datastore_id).toBe("nfs-vm");
      expect(agent.lifecycle.ignore_changes).toEqual(["disk[0].file_id", "initialization[0].user_data_file_id", "node_name"]);
    });

    it("has its snippet on every node it may start on, under the same file name", () => {
      const snippets = Object.values<any>(moving.resource.proxmox_virtual_environment_file).filter((s) => s.source_raw.file_name === "k3s-agent-1-user-data.yaml");
      expect(snippets.map((s) => s.node_name).sort()).toEqual(["pve-01", "pve-02", "pve-03"]);
      expect(new Set(snippets.map((s) => s.source_raw.data)).size).toBe(1);
    });

    it("is an HA resource that may relocate, preferring its own node, failing back", () => {
      const rule = Object.values<any>(moving.resource.proxmox_harule).find((r) => r.resources[0] === "vm:211");
      expect(rule.nodes).toEqual({ "pve-01": 2, "pve-02": 1, "pve-03": 1 });
      const ha = Object.values<any>(moving.resource.proxmox_haresource).find((r) => r.resource_id === "vm:211");
      expect(ha).toMatchObject({ max_relocate: 1, failback: true });
    });
  });
});
