/**
 * Behaviour of the cross-field rules beyond their invalid fixtures: boundaries, wording, and which
 * rules synth runs. Labs refused by the rules are typed with the schema alone (`typed`).
 */
import {
  addressesAreUnique,
  checkRules,
  daemonSetsFitEachNode,
  etcdQuorum,
  failoverOnSharedStorage,
  longhornReplicasFitStorageNodes,
  platformFitsCluster,
  serverTaintNeedsWorkers,
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
  raw.k3s.allowServersPerNode = 7;
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

describe("etcdQuorum: 1 (not HA), then 3, 5 or 7 servers", () => {
  test.each([
    [1, "warning", "the lab works, but it is not highly available"],
    [2, "error", "with 2, losing either one stops the cluster"],
    [4, "error", "4 servers tolerate 1 failure, no more than 3 would"],
    [6, "error", "6 servers tolerate 2 failures, no more than 5 would"],
    [8, "error", "8 K3s servers: more than 7 etcd members, the most etcd recommends: every write waits until 5 of 8 members have it on disk"],
    [9, "error", "9 K3s servers: more than 7 etcd members, the most etcd recommends: every write waits until 5 of 9 members have it on disk"],
  ])("%i servers: %s", (count, severity, words) => {
    const [problem, ...rest] = etcdQuorum(withServers(count));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ severity, path: "k3s.servers" });
    expect(problem.message).toContain(words);
  });

  test("an even count's fix names the odd counts and the agents", () => {
    expect(etcdQuorum(withServers(4))[0].message).toMatch(
      /: use an odd number of servers \(3 for this lab, or 5 or 7\), and add the other machines as k3s\.agents \(workers without etcd\)$/,
    );
  });

  test("more than 7: the reason (write latency, quorum) and the fix (3 servers, the rest agents)", () => {
    expect(etcdQuorum(withServers(9))[0].message).toBe(
      "9 K3s servers: more than 7 etcd members, the most etcd recommends: every write waits until 5 of 9 members have it on disk, " +
        "so each member slows every write of the cluster and gives quorum one more peer to lose, for no failure a homelab needs " +
        "to survive (7 already survive 3): keep 3 (or 5, or 7) servers and add the other machines as k3s.agents (workers without etcd)",
    );
  });

  test.each([3, 5, 7])("%i servers pass", (count) => {
    expect(etcdQuorum(withServers(count))).toEqual([]);
  });

  test("agents are no etcd members: 3 servers and 4 agents pass", () => {
    const lab = withServers(3);
    const agents = Array.from({ length: 4 }, (_, i) => ({ name: `a-${i}`, vmId: 401 + i, address: `192.168.1.${41 + i}`, proxmoxNode: "pve-01" }));
    expect(etcdQuorum({ ...lab, k3s: { ...lab.k3s, agents: agents as LabConfig["k3s"]["agents"] } })).toEqual([]);
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

  // Two members tolerate no failure: no spread can help, so only the server-count error is shown
  // (the spread error used to add "no Proxmox node holds more than 0 of them" per server).
  test("two servers: the server count is the one error; node loss adds no spread advice", () => {
    const etcdErrors = checkRules(withServers(2)).filter((p) => p.severity === "error" && /etcd/.test(p.message));
    expect(etcdErrors.map((p) => p.path)).toEqual(["k3s.servers"]);
    expect(etcdErrors[0].message).toContain("use an odd number of servers");
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

describe("agents in the rules (the agents lab)", () => {
  const agents = (changes: Record<string, unknown>): LabConfig => labSchema.parse(labWith(changes, "agents"));

  test("the agents lab passes every rule: only the shipped examples and the missing off-site copy are warnings", () => {
    expect(checkRules(loadLab("agents")).map((p) => [p.severity, p.path])).toEqual([
      ["warning", "vm.sshPublicKeys[0]"],
      ["warning", "proxmox.nodes[0].install.mac, proxmox.nodes[1].install.mac, proxmox.nodes[2].install.mac, proxmox.nodes[3].install.mac"],
      ["warning", "raspberryPi.offsiteBackup"],
    ]);
  });

  test("the platform counts only the nodes that take workloads: a tainted agent's RAM does not rescue a small cluster", () => {
    const small = { "k3s.servers[0].memoryMiB": 2560, "k3s.servers[1].memoryMiB": 2560, "k3s.servers[2].memoryMiB": 2560, "k3s.agents[0]": undefined };
    const [problem] = platformFitsCluster(agents(small));
    expect(problem.path).toBe("k3s.servers, k3s.systemReserveMiB");
    expect(problem.message).toContain("3 node(s) that take workloads keep 4608 MiB for the system (k3s.systemReserveMiB)");
    // The same agent without its taint takes workloads: 7168 MiB more allocatable, and the platform fits.
    expect(platformFitsCluster(agents({ ...small, "k3s.agents[0].taints": [] }))).toEqual([]);
  });

  test("n−1 names the agents a node takes down and counts the other nodes' room", () => {
    const lab = agents({
      "k3s.servers[0].memoryMiB": 3000,
      "k3s.servers[1].memoryMiB": 3000,
      "k3s.servers[2].memoryMiB": 3000,
      "k3s.agents[1].taints": [],
      "k3s.agents[1].memoryMiB": 2048,
    });
    const errors = survivesNodeLoss(lab).filter((p) => p.severity === "error");
    expect(errors.map((p) => p.path)).toEqual([
      "k3s.servers[0].memoryMiB, k3s.servers[1].memoryMiB, k3s.servers[2].memoryMiB",
    ]);
    expect(errors[0].message).toMatch(/^if pve-04 goes down \(with k3s-agent-1, k3s-agent-2\), k3s-master-1 \+ k3s-master-2 \+ k3s-master-3 cannot hold the platform: /);
    expect(errors[0].message).toContain("(allocatable = VM minus k3s.systemReserveMiB / k3s.systemReserveMilliCpu)");
  });

  test("a node whose loss leaves no node for workloads says so, and how to fix it", () => {
    const lab = agents({ "k3s.taintServers": true });
    const errors = survivesNodeLoss(lab).filter((p) => p.severity === "error");
    expect(errors).toEqual([
      {
        severity: "error",
        path: "k3s.agents, k3s.taintServers",
        message:
          "if pve-04 goes down (with k3s-agent-1, k3s-agent-2), no node that takes workloads is left: the platform's 2992 MiB and 1020m CPU " +
          "have nowhere to run; add an untainted agent on another Proxmox node, or set k3s.taintServers: false",
      },
    ]);
  });

  test("taintServers with tainted agents only: no node for the platform, naming the agents", () => {
    const [problem] = serverTaintNeedsWorkers(agents({ "k3s.taintServers": true, "k3s.agents[0].taints": ["homelab/pool=general:NoExecute"] }));
    expect(problem).toMatchObject({ severity: "error", path: "k3s.taintServers" });
    expect(problem.message).toContain("every agent has a NoSchedule or NoExecute taint (k3s-agent-1, k3s-agent-2); remove one agent's taints");
  });

  test("a PreferNoSchedule taint is a preference: the agent still takes workloads", () => {
    expect(serverTaintNeedsWorkers(agents({ "k3s.taintServers": true, "k3s.agents[0].taints": ["homelab/pool=general:PreferNoSchedule"] }))).toEqual([
      expect.objectContaining({ severity: "warning" }),
    ]);
  });

  test("Longhorn replicas count the nodes with a Longhorn disk where Longhorn runs: tainted servers do not", () => {
    const [problem] = longhornReplicasFitStorageNodes(agents({ "k3s.taintServers": true }));
    expect(problem.message).toBe(
      "2 Longhorn replicas need 2 nodes with a Longhorn disk, the lab has 1 (k3s-agent-1) (tainted servers carry none: Longhorn tolerates no taint): " +
        "every volume would stay degraded for good; lower platform.longhorn.replicaCount to 1, or give more agents a Longhorn disk (k3s.agents[].dataDiskGiB)",
    );
    expect(longhornReplicasFitStorageNodes(loadLab("agents"))).toEqual([]);
  });

  test("DaemonSets count on an agent as its taints allow: node-exporter alone on the tainted agent", () => {
    // k3s-agent-2 (NoSchedule taint) runs node-exporter only: 1024 + 32 MiB.
    expect(daemonSetsFitEachNode(agents({ "k3s.agents[1].memoryMiB": 1056 }))).toEqual([]);
    const [problem] = daemonSetsFitEachNode(agents({ "k3s.agents[1].memoryMiB": 1055 }));
    expect(problem).toMatchObject({ path: "k3s.agents[1].memoryMiB" });
    expect(problem.message).toBe(
      "k3s-agent-2 has 1055 MiB but every agent with its taints needs 1056 MiB before any app (k3s.agentSystemReserveMiB 1024 + 32 MiB of DaemonSets): raise memoryMiB to at least 1056",
    );
  });

  test("an agent's cores: the fix counts the CPU share Longhorn reserves of the agent itself", () => {
    // 250m of reserve + 460m of DaemonSets + 12% of 1 core (120m) = 830m: one core holds it.
    expect(daemonSetsFitEachNode(agents({ "k3s.agents[0].cores": 1 }))).toEqual([]);
    // With 500m of reserve it needs 1080m; 2 cores hold 500 + 460 + 240.
    const tight = daemonSetsFitEachNode(agents({ "k3s.agents[0].cores": 1, "k3s.agentSystemReserveMilliCpu": 500 }));
    expect(tight.map((p) => [p.path, p.message.replace(/^.*: raise/, "raise")])).toEqual([["k3s.agents[0].cores", "raise cores to at least 2"]]);
  });

  test("failover needs storage every node reads", () => {
    const lab = agents({ "k3s.agents[1].failover": { nodes: ["pve-01"], storage: "nfs-vm" } });
    expect(failoverOnSharedStorage(lab).map((p) => p.path)).toEqual(["k3s.agents[1].failover.storage"]);
    expect(failoverOnSharedStorage(agents({ "k3s.agents[1].failover": { nodes: ["pve-01"], storage: "nfs-vm" }, "proxmox.sharedStorage": ["nfs-vm"] }))).toEqual([]);
  });
});
