import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigJsonSchema } from "../../config/json-schema";
import { renderConfigReference } from "../../config/reference";
import { formatPath, loadLabFile, validateLab } from "../../config/load";
import { labWith, loadLab, rawLab } from "../helpers";

describe("lab config schema", () => {
  test("the default lab fixture is the dossier's lab", () => {
    const lab = loadLab();
    expect(lab.network.cidr).toBe("192.168.1.0/24");
    expect(lab.network.dhcpRange).toEqual({ start: "192.168.1.100", end: "192.168.1.199" });
    expect(lab.proxmox.nodes.map((n) => [n.name, n.address, n.memoryGiB])).toEqual([
      ["pve-01", "192.168.1.11", 16],
      ["pve-02", "192.168.1.12", 16],
      ["pve-03", "192.168.1.13", 12],
    ]);
    expect(lab.k3s.servers.map((s) => [s.name, s.vmId, s.address, s.proxmoxNode, s.memoryMiB])).toEqual([
      ["k3s-master-1", 201, "192.168.1.21", "pve-01", 12288],
      ["k3s-master-2", 202, "192.168.1.22", "pve-02", 12288],
      ["k3s-master-3", 203, "192.168.1.23", "pve-03", 8192],
    ]);
    expect(lab.k3s.apiVip).toBe("192.168.1.50");
    expect(lab.loadBalancer).toMatchObject({
      pool: { start: "192.168.1.60", end: "192.168.1.79" },
      ingressIp: "192.168.1.60",
      dnsIp: "192.168.1.61",
    });
    expect(lab.raspberryPi).toMatchObject({ name: "rpi-01", address: "192.168.1.5", arch: "arm64" });
  });

  test("the default lab has no agent, does not taint its servers, keeps the Pi out of the cluster", () => {
    const lab = loadLab();
    expect(lab.k3s.agents).toEqual([]);
    expect(lab.k3s.taintServers).toBe(false);
    expect(lab.raspberryPi?.k3sAgent).toBe(false);
    expect(lab.proxmox.sharedStorage).toEqual([]);
    expect([lab.k3s.agentSystemReserveMiB, lab.k3s.agentSystemReserveMilliCpu]).toEqual([1024, 250]);
  });

  test("an agent takes the server's defaults where it shares them, and none for the Longhorn disk", () => {
    const result = validateLab(
      labWith({ "proxmox.nodes[3]": { name: "pve-04", address: "192.168.1.14", model: "M720q", cpu: "i7", threads: 12, memoryGiB: 32 }, "k3s.agents": [{ name: "k3s-agent-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-04", memoryMiB: 8192 }] }),
    );
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join("\n"));
    expect(result.lab.k3s.agents[0]).toEqual({
      name: "k3s-agent-1",
      vmId: 211,
      address: "192.168.1.31",
      proxmoxNode: "pve-04",
      cores: 4,
      memoryMiB: 8192,
      osDiskGiB: 40,
      dataStorage: "hdd",
      labels: [],
      taints: [],
      startupOrder: 2,
    });
  });

  test("the agents fixture: 4 Proxmox nodes, 3 servers, 2 agents on pve-04", () => {
    const lab = loadLab("agents");
    expect(lab.proxmox.nodes.map((n) => n.name)).toEqual(["pve-01", "pve-02", "pve-03", "pve-04"]);
    expect(lab.k3s.servers).toHaveLength(3);
    expect(lab.k3s.agents.map((a) => [a.name, a.proxmoxNode, a.dataDiskGiB, a.labels, a.taints])).toEqual([
      ["k3s-agent-1", "pve-04", 500, ["homelab/pool=general"], []],
      ["k3s-agent-2", "pve-04", undefined, ["homelab/pool=batch"], ["homelab/pool=batch:NoSchedule"]],
    ]);
  });

  test.each([
    ["homelab/pool=general", true],
    ["example.org/gpu=", true],
    ["node.kubernetes.io/exclude-from-external-load-balancers=true", true],
    ["node-role.kubernetes.io/worker=true", false],
    ["kubernetes.io/arch=arm64", false],
    ["foo.k8s.io/a=b", false],
    ["node.longhorn.io/create-default-disk=true", false],
    ["no-value", false],
    ["Bad Key=x", false],
  ])("node label %s: accepted %s", (label, accepted) => {
    const raw = labWith({ "k3s.agents": [{ name: "a-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-03", memoryMiB: 1024, labels: [label] }] });
    const result = validateLab(raw);
    const labelProblems = (result.ok ? [] : result.problems).filter((p) => p.path === "k3s.agents[0].labels[0]");
    expect([label, labelProblems.length === 0]).toEqual([label, accepted]);
  });

  test("fails when an agent sets one label key twice or one taint twice, naming the first", () => {
    const raw = labWith({
      "k3s.agents": [
        { name: "a-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-03", memoryMiB: 1024, labels: ["k=a", "k=b"], taints: ["t=x:NoSchedule", "t=y:NoSchedule", "t:NoExecute"] },
      ],
    });
    const result = validateLab(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.filter((p) => p.path.startsWith("k3s.agents[0]")).map((p) => [p.path, p.message])).toEqual([
      ["k3s.agents[0].labels[1]", 'got "k=b"; sets k again (labels[0] sets it first): keep one value per key'],
      ["k3s.agents[0].taints[1]", 'got "t=y:NoSchedule"; repeats the key and effect of taints[0]: Kubernetes keeps one taint per key and effect; remove one'],
    ]);
  });

  test("fails when an agent's failover names its own node or a node twice", () => {
    const raw = labWith({
      "proxmox.sharedStorage": ["nfs-vm"],
      "k3s.agents": [{ name: "a-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-03", memoryMiB: 1024, failover: { nodes: ["pve-03", "pve-01", "pve-01"], storage: "nfs-vm" } }],
    });
    const result = validateLab(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.filter((p) => p.path === "k3s.agents[0].failover.nodes").map((p) => p.message)).toEqual([
      "got a list of 3; lists pve-03, the agent's own node: list only the nodes it may move to",
      "got a list of 3; lists pve-01 twice: list each node once",
    ]);
  });

  test("defaults are applied to nested optional sections", () => {
    const raw = rawLab();
    delete raw.platform;
    const result = validateLab(raw);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lab.platform.longhorn.replicaCount).toBe(2);
    expect(result.lab.platform.apps.vaultwarden.signupsAllowed).toBe(false);
    expect(result.lab.network.bridge).toBe("vmbr0");
  });

  test("fails when several fields are wrong, with one problem per field", () => {
    const result = validateLab(labWith({ "k3s.apiVip": "nope", "network.gateway": "1.2.3" }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.filter((p) => p.severity === "error").map((p) => p.path).sort()).toEqual(["k3s.apiVip", "network.gateway"]);
  });

  test("formatPath writes array indexes in brackets", () => {
    expect(formatPath(["k3s", "servers", 1, "address"])).toBe("k3s.servers[1].address");
  });

  test("fails when the file does not exist, naming it", () => {
    const result = loadLabFile("/nonexistent/homelab.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0].path).toBe("/nonexistent/homelab.yaml");
  });

  test("the committed JSON Schema matches the zod schema (run `npm run schema`)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "config", "homelab.schema.json"), "utf8");
    expect(committed).toBe(renderConfigJsonSchema());
  });

  test("the committed docs/configuration.md matches the schema (run `npm run schema`)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
    expect(committed).toBe(renderConfigReference());
    expect(committed).toContain("| `k3s.apiVip` | IPv4 address | **required** |");
    expect(committed).toContain("| `network.bridge` | string | `\"vmbr0\"` |");
  });

  test("the JSON Schema rejects unknown keys like the loader does", () => {
    const schema = JSON.parse(renderConfigJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.k3s.additionalProperties).toBe(false);
  });
});

describe("the user's homelab.yaml", () => {
  // The only test that reads the root config: whatever the user wrote must be valid.
  test("is valid", () => {
    const result = loadLabFile(join(__dirname, "..", "..", "homelab.yaml"));
    if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
    expect(result.ok).toBe(true);
  });

  test("references the exported JSON Schema for editors", () => {
    const first = readFileSync(join(__dirname, "..", "..", "homelab.yaml"), "utf8").split("\n")[0];
    expect(first).toBe("# yaml-language-server: $schema=./config/homelab.schema.json");
  });
});
