/**
 * Behaviour of the cross-field rules beyond their invalid fixtures: boundaries, wording, and which
 * rules synth runs. Labs refused by the rules are typed with the schema alone (`typed`).
 */
import {
  addressesAreUnique,
  checkRules,
  etcdQuorum,
  platformFitsCluster,
  RULES,
  serversSpreadAcrossNodes,
  sshKeysAreYours,
  survivesNodeLoss,
  webHostnamesAreUnique,
} from "../../config/rules";
import { labSchema, type LabConfig } from "../../config/schema";
import { labWith, loadLab, rawLab } from "../helpers";

const typed = (changes: Record<string, unknown>): LabConfig => labSchema.parse(labWith(changes));

function withServers(count: number): LabConfig {
  const raw = rawLab();
  raw.k3s.allowServersPerNode = 5;
  raw.k3s.servers = Array.from({ length: count }, (_, i) => ({
    name: `k3s-${i + 1}`,
    vmId: 301 + i,
    address: `192.168.1.${31 + i}`,
    proxmoxNode: raw.proxmox.nodes[i % 3].name,
    memoryMiB: 4096,
    cores: 2,
  }));
  return labSchema.parse(raw);
}

describe("rule sets", () => {
  test("the default lab passes every rule; only the shipped examples (SSH key, install MACs) and the missing off-site copy are warnings", () => {
    expect(checkRules(loadLab()).map((p) => [p.severity, p.path])).toEqual([
      ["warning", "vm.sshPublicKeys[0]"],
      ["warning", "proxmox.nodes[0].install.mac, proxmox.nodes[1].install.mac, proxmox.nodes[2].install.mac"],
      ["warning", "raspberryPi.offsiteBackup"],
    ]);
  });

  test("synth and the doctor run one list of rules, the SSH key advice included", () => {
    expect(RULES).toContain(sshKeysAreYours);
  });

  test("every rule returns problems with a config path and a message", () => {
    const lab = typed({ "k3s.servers[1].address": "192.168.1.21", "k3s.servers[2].memoryMiB": 2048 });
    const problems = checkRules(lab);
    expect(problems.length).toBeGreaterThan(2);
    for (const p of problems) {
      expect(p.path).toMatch(/^[a-zA-Z]/);
      expect(p.message.length).toBeGreaterThan(20);
    }
  });
});

describe("etcdQuorum", () => {
  test.each([
    [1, "warning", "the lab works, but it is not highly available"],
    [2, "error", "with 2, losing either one stops the cluster"],
    [4, "error", "4 servers tolerate 1 failure, no more than 3 would"],
    [6, "error", "6 servers tolerate 2 failures, no more than 5 would"],
  ])("%i servers: %s", (count, severity, words) => {
    const [problem, ...rest] = etcdQuorum(withServers(count));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ severity, path: "k3s.servers" });
    expect(problem.message).toContain(words);
  });

  test.each([3, 5])("%i servers pass", (count) => {
    expect(etcdQuorum(withServers(count))).toEqual([]);
  });
});

describe("addressesAreUnique", () => {
  test("names the first owner in every clash of a thrice-claimed address", () => {
    const problems = addressesAreUnique(typed({ "k3s.apiVip": "192.168.1.21", "raspberryPi.address": "192.168.1.21" }));
    expect(problems.map((p) => p.path)).toEqual([
      "k3s.servers[0].address, k3s.apiVip",
      "k3s.servers[0].address, raspberryPi.address",
    ]);
    expect(problems[0].message).toContain("claimed by both VM k3s-master-1 and Kubernetes API VIP (kube-vip)");
  });
});

describe("capacity and n−1", () => {
  // 32768 MiB of VMs = 3968 MiB of requests + 3 × 9600 MiB of reserve: an exact fit.
  test("a platform that fits exactly passes, one MiB more fails with the missing amount", () => {
    // 5392 MiB of requests + 3 × 1536 MiB of system reserve = 10000 MiB of VMs.
    const sized = (last: number) => typed({ "k3s.servers[0].memoryMiB": 3333, "k3s.servers[1].memoryMiB": 3333, "k3s.servers[2].memoryMiB": last });
    expect(platformFitsCluster(sized(3334))).toEqual([]);
    const [problem] = platformFitsCluster(sized(3333));
    expect(problem.message).toContain("add 1 MiB across k3s.servers[].memoryMiB");
  });

  test("allowing two servers per node does not hide the quorum loss it causes", () => {
    const lab = typed({
      "k3s.allowServersPerNode": 2,
      "k3s.servers[0].memoryMiB": 8192,
      "k3s.servers[1].proxmoxNode": "pve-01",
      "k3s.servers[1].memoryMiB": 4096,
    });
    expect(serversSpreadAcrossNodes(lab)).toEqual([]);
    expect(survivesNodeLoss(lab).filter((p) => p.severity === "error").map((p) => p.path)).toEqual([
      "k3s.servers[0].proxmoxNode, k3s.servers[1].proxmoxNode",
    ]);
  });

  test("five servers, two per node, keep quorum through any node's loss", () => {
    expect(survivesNodeLoss(withServers(5)).filter((p) => p.severity === "error")).toEqual([]);
  });

  test("a single server is left to the not-HA warning, not reported again per node", () => {
    expect(survivesNodeLoss(withServers(1))).toEqual([]);
  });

  test("n−1 capacity is not reported again when the whole cluster is already too small", () => {
    const lab = typed({ "k3s.servers[0].memoryMiB": 2560, "k3s.servers[1].memoryMiB": 2560, "k3s.servers[2].memoryMiB": 2560 });
    expect(platformFitsCluster(lab)).toHaveLength(1);
    expect(survivesNodeLoss(lab)).toEqual([]);
  });
});

describe("webHostnamesAreUnique", () => {
  test("fails when two apps share a name, naming both", () => {
    const [problem, ...rest] = webHostnamesAreUnique(typed({ "platform.apps.argocd.hostname": "traefik" }));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ path: "platform.apps.argocd.hostname" });
    expect(problem.message).toContain("traefik.home.arpa is used by both traefik and argocd");
  });

  test("fails when the API takes a fixed app name, pointing at k3s.apiHostname", () => {
    const [problem, ...rest] = webHostnamesAreUnique(typed({ "k3s.apiHostname": "longhorn" }));
    expect(rest).toEqual([]);
    expect(problem.path).toBe("k3s.apiHostname");
    expect(problem.message).toContain("longhorn.home.arpa is used by both the Kubernetes API and longhorn");
  });

  test("a disabled app frees its name", () => {
    expect(
      webHostnamesAreUnique(typed({ "platform.apps.gitea.enabled": false, "platform.apps.argocd.hostname": "gitea" })),
    ).toEqual([]);
  });
});

describe("sshKeysAreYours", () => {
  test("flags only the example key, by index", () => {
    const mine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLl6B8Jm0u9Vm1B2o9y3q6oQxk1N1oqkV0rTt7lq7nS me@laptop";
    expect(sshKeysAreYours(typed({ "vm.sshPublicKeys": [mine] }))).toEqual([]);
    const problems = sshKeysAreYours(loadLab());
    expect(problems.map((p) => [p.severity, p.path])).toEqual([["warning", "vm.sshPublicKeys[0]"]]);
  });
});
