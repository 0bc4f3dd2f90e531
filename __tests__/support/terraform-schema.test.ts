import { loadProxmoxSchema, validateAgainstSchema, type ProviderSchemaFixture } from "./terraform-schema";

const schema = loadProxmoxSchema();

/** A minimal valid VM; each test breaks one thing. */
function stackWith(vm: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    provider: { proxmox: [{ endpoint: "https://192.168.1.11:8006/", ssh: [{ username: "root", node: [{ name: "pve-01", address: "192.168.1.11" }] }] }] },
    resource: { proxmox_virtual_environment_vm: { vm: { node_name: "pve-01", ...vm } }, ...extra },
  };
}

describe("validateAgainstSchema", () => {
  it("reads the bpg/proxmox 0.111.1 fixture", () => {
    expect(schema).toMatchObject({ provider: "registry.terraform.io/bpg/proxmox", version: "0.111.1" });
  });

  it("accepts a valid resource, with references for any type and one block given as an object", () => {
    const json = stackWith({
      vm_id: "${var.id}",
      cpu: { cores: 2 },
      disk: [{ interface: "scsi0", size: 8 }],
      tags: ["a"],
      lifecycle: { ignore_changes: ["disk[0].file_id"] },
      depends_on: ["proxmox_download_file.x"],
    });
    expect(validateAgainstSchema(json, schema)).toEqual([]);
  });

  it("fails when an attribute does not exist (a typo)", () => {
    expect(validateAgainstSchema(stackWith({ disk: [{ interface: "scsi0", iothred: true }] }), schema)).toEqual([
      "proxmox_virtual_environment_vm.vm.disk[0].iothred: unknown attribute or block",
    ]);
  });

  it("fails when a required attribute is missing", () => {
    const json = stackWith({}, { proxmox_harule: { r: { rule: "x", resources: ["vm:1"] } } });
    expect(validateAgainstSchema(json, schema)).toEqual(["proxmox_harule.r.type: required attribute missing"]);
  });

  it("fails when a block exceeds max_items", () => {
    expect(validateAgainstSchema(stackWith({ cpu: [{ cores: 1 }, { cores: 2 }] }), schema)).toEqual([
      "proxmox_virtual_environment_vm.vm.cpu: 2 blocks, at most 1 allowed",
    ]);
  });

  it("fails when a value has the wrong basic type", () => {
    expect(validateAgainstSchema(stackWith({ vm_id: "201", on_boot: "yes", tags: "k3s" }), schema)).toEqual([
      'proxmox_virtual_environment_vm.vm.vm_id: expected number, got "201"',
      'proxmox_virtual_environment_vm.vm.on_boot: expected bool, got "yes"',
      'proxmox_virtual_environment_vm.vm.tags: expected a list, got "k3s"',
    ]);
  });

  it("fails when a map attribute holds the wrong value type", () => {
    const json = stackWith({}, { proxmox_harule: { r: { rule: "x", type: "node-affinity", resources: ["vm:1"], nodes: { "pve-01": "high" } } } });
    expect(validateAgainstSchema(json, schema)).toEqual(['proxmox_harule.r.nodes.pve-01: expected number, got "high"']);
  });

  it("fails when an object-typed attribute misses keys (Terraform requires them all)", () => {
    const errors = validateAgainstSchema(stackWith({ network_device: [{ bridge: "vmbr0" }] }), schema);
    expect(errors).toContain("proxmox_virtual_environment_vm.vm.network_device[0].model: missing; object-typed attributes need every key (use null)");
  });

  it("fails when a read-only attribute is set", () => {
    expect(validateAgainstSchema(stackWith({ ipv4_addresses: [["192.168.1.21"]] }), schema)).toEqual([
      "proxmox_virtual_environment_vm.vm.ipv4_addresses: read-only (computed) attribute cannot be set",
    ]);
  });

  it("fails when ignore_changes names an attribute that does not exist", () => {
    expect(validateAgainstSchema(stackWith({ lifecycle: { ignore_changes: ["initialization[0].user_account_typo"] } }), schema)).toEqual([
      'proxmox_virtual_environment_vm.vm.lifecycle.ignore_changes: ignore_changes "initialization[0].user_account_typo" names "initialization.user_account_typo", which does not exist',
    ]);
  });

  it("fails when the provider block has an unknown argument", () => {
    const json = stackWith({});
    json.provider.proxmox[0].api_tokn = "x";
    expect(validateAgainstSchema(json, schema)).toEqual(["provider.proxmox[0].api_tokn: unknown attribute or block"]);
  });

  it("fails when a resource type is not in the fixture", () => {
    expect(validateAgainstSchema(stackWith({}, { proxmox_virtual_environment_container: { c: {} } }), schema)).toEqual([
      "resource.proxmox_virtual_environment_container: not in the schema fixture; add it to USED_RESOURCES in scripts/generate-proxmox-bindings.ts",
    ]);
  });

  it("leaves other providers' resources alone", () => {
    expect(validateAgainstSchema(stackWith({}, { null_resource: { n: { anything: 1 } } }), schema)).toEqual([]);
  });

  it("enforces min_items of a required block", () => {
    const tiny: ProviderSchemaFixture = {
      ...schema,
      resources: { proxmox_thing: { block_types: { part: { nesting_mode: "list", min_items: 1, block: {} } } } },
    };
    expect(validateAgainstSchema({ resource: { proxmox_thing: { t: {} } } }, tiny)).toEqual([
      "proxmox_thing.t.part: required block missing (at least 1)",
    ]);
  });
});
