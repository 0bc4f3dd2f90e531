import { platformComponents } from "../../config/apps";
import {
  allocatable,
  clusterCapacity,
  hostUsage,
  nMinusOne,
  platformDemand,
  daemonSetsOn,
  requestsOn,
  nodeCapacity,
} from "../../config/capacity";
import { labSchema } from "../../config/schema";
import { labWith, loadLab, validLab } from "../helpers";
import { recorded } from "../support/read-recorder";

/** The default lab's model is the doctor's plan (`doctor.capacity.*`, `doctor.nMinusOne`): recorded as such for npm run test:unasserted. */
const asPlan = <T>(value: T, ...segs: string[]): T => recorded(value, "doctor", segs);

describe("capacity model", () => {
  const lab = loadLab();

  test("splits the platform's requests into shared ones and DaemonSets", () => {
    const demand = asPlan(platformDemand(lab), "capacity", "platform");
    const components = platformComponents(lab);
    const sum = (perNode: boolean, key: "requestMemoryMiB" | "requestMilliCpu") =>
      components
        .filter((c) => Boolean(c.perNode) === perNode)
        .reduce((s, c) => s + c.resources[key] * (c.instances ?? 1), 0);
    expect(demand.perNode).toEqual({ memoryMiB: sum(true, "requestMemoryMiB"), milliCpu: sum(true, "requestMilliCpu") });
    expect(demand.shared).toEqual({ memoryMiB: sum(false, "requestMemoryMiB"), milliCpu: sum(false, "requestMilliCpu") });
    // The default catalog, written out so that a catalog change shows up here.
    expect(demand).toMatchObject({
      shared: { memoryMiB: 2992, milliCpu: 1020 },
      perNode: { memoryMiB: 800, milliCpu: 460 },
      perNodeCpuPercent: 12,
    });
    expect(demand.daemonSets.map((ds) => [ds.id, ds.requests, ds.cpuPercent, ds.tolerations])).toEqual([
      ["metallb", { memoryMiB: 128, milliCpu: 100 }, 0, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]],
      ["longhorn", { memoryMiB: 512, milliCpu: 300 }, 0, []],
      ["longhorn-instance-manager", { memoryMiB: 0, milliCpu: 0 }, 12, []],
      ["alloy", { memoryMiB: 128, milliCpu: 50 }, 0, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]],
      ["node-exporter", { memoryMiB: 32, milliCpu: 10 }, 0, [{ effect: "NoSchedule" }]],
    ]);
  });

  test("counts DaemonSets once per server, with Longhorn's CPU share of each server", () => {
    const demand = platformDemand(lab);
    // 12% of a 4-core server is 480m, on top of the DaemonSets' 460m.
    expect(daemonSetsOn(demand, { cores: 4 })).toEqual({ memoryMiB: 800, milliCpu: 460 + 480 });
    expect(daemonSetsOn(demand, { cores: 8 })).toEqual({ memoryMiB: 800, milliCpu: 460 + 960 });
    expect(requestsOn(demand, lab.k3s.servers)).toEqual({ memoryMiB: 2992 + 3 * 800, milliCpu: 1020 + 3 * 940 });
    expect(requestsOn(demand, [])).toEqual(demand.shared);
  });

  test("the Longhorn reservation follows platform.longhorn.instanceManagerCpuPercent", () => {
    const low = platformDemand(validLab(labWith({ "platform.longhorn.instanceManagerCpuPercent": 5 })));
    expect(low.perNodeCpuPercent).toBe(5);
    expect(daemonSetsOn(low, { cores: 4 }).milliCpu).toBe(460 + 200);
  });

  test("monitoring off takes the metrics stack out of the requests", () => {
    const off = platformDemand(validLab(labWith({ "platform.monitoring.enabled": false })));
    const on = platformDemand(lab);
    expect(on.shared.memoryMiB - off.shared.memoryMiB).toBe(1024 + 48 + 2 * 24 + 64 + 48 + 64);
    expect(on.perNode.memoryMiB - off.perNode.memoryMiB).toBe(32);
  });

  test("disabled apps ask nothing", () => {
    const lean = validLab(
      labWith({
        "platform.apps.grafana.enabled": false,
        "platform.apps.argocd.enabled": false,
      }),
    );
    const full = platformDemand(lab);
    const less = platformDemand(lean);
    // grafana takes loki and the alloy DaemonSet with it.
    expect(less.shared.memoryMiB).toBe(full.shared.memoryMiB - 192 - 256 - 512);
    expect(less.perNode.memoryMiB).toBe(full.perNode.memoryMiB - 128);
  });

  test("a server's allocatable is its VM minus the system reserve, never negative", () => {
    expect(allocatable(lab, lab.k3s.servers[2])).toEqual({ memoryMiB: 8192 - 1536, milliCpu: 4000 - 500 });
    const starved = labSchema.parse(labWith({ "k3s.systemReserveMiB": 99999 }));
    expect(allocatable(starved, starved.k3s.servers[0]).memoryMiB).toBe(0);
  });

  test("hosts: VM memory against RAM minus the host reserve, vCPUs against threads × overcommit", () => {
    const hosts = asPlan(hostUsage(lab), "capacity", "hosts");
    expect(hosts.map((h) => [h.node, h.vmMemoryMiB, h.availableMiB, h.vcpus, h.vcpuLimit, h.servers])).toEqual([
      ["pve-01", 12288, 16384 - 3072, 4, 16, ["k3s-master-1"]],
      ["pve-02", 12288, 16384 - 3072, 4, 16, ["k3s-master-2"]],
      ["pve-03", 8192, 12288 - 3072, 4, 8, ["k3s-master-3"]],
    ]);
    // RAM (memoryGiB, in MiB) and threads are the config's, as the plan prints them.
    expect(hosts.map((h) => [h.memoryMiB, h.threads])).toEqual(lab.proxmox.nodes.map((n) => [n.memoryGiB * 1024, n.threads]));
  });

  test("servers carry the DaemonSets", () => {
    const servers = asPlan(nodeCapacity(lab), "capacity", "nodes");
    expect(servers.map((s) => [s.name, s.proxmoxNode, s.allocatable.memoryMiB])).toEqual([
      ["k3s-master-1", "pve-01", 10752],
      ["k3s-master-2", "pve-02", 10752],
      ["k3s-master-3", "pve-03", 6656],
    ]);
    expect(servers[0].daemonSets).toEqual({ memoryMiB: 800, milliCpu: 940 });
    // Every server runs every DaemonSet; each VM is its config's memory and cores (1000m a core).
    expect(servers.map((s) => [s.vm, s.allocatable.milliCpu, s.daemonSets])).toEqual(
      lab.k3s.servers.map((s) => [{ memoryMiB: s.memoryMiB, milliCpu: s.cores * 1000 }, s.cores * 1000 - 500, { memoryMiB: 800, milliCpu: 940 }]),
    );
  });

  test("the cluster: VMs minus reserve against the platform's requests", () => {
    expect(asPlan(clusterCapacity(lab), "capacity", "cluster")).toEqual({
      servers: 3,
      agents: 0,
      workloadNodes: ["k3s-master-1", "k3s-master-2", "k3s-master-3"],
      vms: { memoryMiB: 32768, milliCpu: 12000 },
      systemReserve: { memoryMiB: 4608, milliCpu: 1500 },
      allocatable: { memoryMiB: 28160, milliCpu: 10500 },
      requests: { memoryMiB: 5392, milliCpu: 3840 },
    });
  });
});

describe("the catalog", () => {
  // The doctor's plan lists it as capacity.components.
  const components = asPlan(platformComponents(loadLab()), "capacity", "components");
  const catalog = Object.fromEntries(components.map((c) => [c.id, c.resources]));

  test("every memory limit is at least the request: Kubernetes refuses a pod whose request exceeds its limit", () => {
    for (const [id, r] of Object.entries(catalog)) expect([id, r.limitMemoryMiB >= r.requestMemoryMiB]).toEqual([id, true]);
  });

  test("the sizes, written out: requests are what the n−1 verdict counts, limits where a pod is OOM-killed", () => {
    // [CPU request m, memory request MiB, memory limit MiB]: a change here is a change of the lab's footprint.
    expect(Object.fromEntries(Object.entries(catalog).map(([id, r]) => [id, [r.requestMilliCpu, r.requestMemoryMiB, r.limitMemoryMiB]]))).toEqual({
      metallb: [100, 128, 256],
      "cert-manager": [50, 160, 384],
      traefik: [100, 128, 256],
      longhorn: [300, 512, 1024],
      // Its CPU is a share of each node (guaranteedInstanceManagerCPU), counted apart.
      "longhorn-instance-manager": [0, 0, 0],
      gitea: [100, 256, 512],
      argocd: [250, 512, 1024],
      loki: [100, 256, 1024],
      alloy: [50, 128, 256],
      grafana: [100, 192, 384],
      prometheus: [150, 1024, 2048],
      alertmanager: [10, 48, 128],
      "config-reloader": [5, 24, 48],
      "prometheus-operator": [20, 64, 192],
      "kube-state-metrics": [10, 48, 192],
      "node-exporter": [10, 32, 64],
      "pve-exporter": [10, 64, 128],
      ntfy: [10, 32, 128],
      vaultwarden: [50, 64, 256],
      adguard: [50, 96, 256],
    });
    // No CPU limit (config/apps.ts: omitted on purpose for bursty control-plane add-ons): CFS throttling would stall them.
    expect(Object.values(catalog).filter((r) => r.limitMilliCpu !== undefined)).toEqual([]);
  });

  test("each component lives in its namespace: a change moves it (a new namespace, the old one deleted)", () => {
    const byNamespace: Record<string, string[]> = {};
    for (const c of components) (byNamespace[c.namespace] ??= []).push(c.id);
    expect(byNamespace).toEqual({
      "metallb-system": ["metallb"],
      "cert-manager": ["cert-manager"],
      traefik: ["traefik"],
      "longhorn-system": ["longhorn", "longhorn-instance-manager"],
      gitea: ["gitea"],
      argocd: ["argocd"],
      observability: ["loki", "alloy", "grafana", "prometheus", "alertmanager", "config-reloader", "prometheus-operator", "kube-state-metrics", "node-exporter", "pve-exporter"],
      ntfy: ["ntfy"],
      vaultwarden: ["vaultwarden"],
      adguard: ["adguard"],
    });
  });

  test("each web app's host name, the first label of its URL", () => {
    expect(components.filter((c) => c.webHostname !== undefined).map((c) => [c.id, c.webHostname])).toEqual([
      ["traefik", "traefik"],
      ["longhorn", "longhorn"],
      ["gitea", "gitea"],
      ["argocd", "argocd"],
      ["grafana", "grafana"],
      ["ntfy", "ntfy"],
      ["vaultwarden", "vaultwarden"],
      ["adguard", "adguard"],
    ]);
  });

  test("who runs once per server, and who twice: DaemonSets count on every server, the reloader in two pods", () => {
    expect(components.filter((c) => c.perNode).map((c) => c.id)).toEqual(["metallb", "longhorn", "longhorn-instance-manager", "alloy", "node-exporter"]);
    expect(components.filter((c) => (c.instances ?? 1) !== 1).map((c) => [c.id, c.instances])).toEqual([["config-reloader", 2]]);
    expect(components.find((c) => c.id === "longhorn-instance-manager")?.perNodeCpuPercent).toBe(loadLab().platform.longhorn.instanceManagerCpuPercent);
  });
});

describe("n−1", () => {
  test("the default lab survives the loss of any node", () => {
    const losses = asPlan(nMinusOne(loadLab()), "nMinusOne");
    expect(losses.map((l) => [l.node, l.verdict, l.lostServers, l.consequences])).toEqual([
      ["pve-01", "survives", ["k3s-master-1"], []],
      ["pve-02", "survives", ["k3s-master-2"], []],
      ["pve-03", "survives", ["k3s-master-3"], []],
    ]);
    // Losing a 16 GB node leaves the smaller pair: still room for every request.
    expect(losses.map((l) => [l.node, l.survivingServers, l.capacity])).toEqual([
      ["pve-01", ["k3s-master-2", "k3s-master-3"], { requests: { memoryMiB: 4592, milliCpu: 2900 }, allocatable: { memoryMiB: 10752 + 6656, milliCpu: 7000 }, fits: true }],
      ["pve-02", ["k3s-master-1", "k3s-master-3"], { requests: { memoryMiB: 4592, milliCpu: 2900 }, allocatable: { memoryMiB: 10752 + 6656, milliCpu: 7000 }, fits: true }],
      ["pve-03", ["k3s-master-1", "k3s-master-2"], { requests: { memoryMiB: 4592, milliCpu: 2900 }, allocatable: { memoryMiB: 2 * 10752, milliCpu: 7000 }, fits: true }],
    ]);
    for (const loss of losses) {
      expect(loss.etcd).toEqual({ members: 3, surviving: 2, majority: 2, kept: true });
      expect(loss.longhorn).toEqual({ replicaCount: 2, surviving: 2, fullyReplicated: true });
      expect(loss.proxmox).toEqual({ nodes: 3, surviving: 2, kept: true });
    }
    const pve03 = losses[2];
    expect(pve03.etcd).toEqual({ members: 3, surviving: 2, majority: 2, kept: true });
    expect(pve03.capacity).toEqual({
      requests: { memoryMiB: 2992 + 2 * 800, milliCpu: 1020 + 2 * 940 },
      allocatable: { memoryMiB: 2 * 10752, milliCpu: 2 * 3500 },
      fits: true,
    });
    expect(pve03.longhorn).toEqual({ replicaCount: 2, surviving: 2, fullyReplicated: true });
    expect(pve03.proxmox).toEqual({ nodes: 3, surviving: 2, kept: true });
  });

  test("three Longhorn replicas degrade, they do not break", () => {
    const [pve01] = nMinusOne(validLab(labWith({ "platform.longhorn.replicaCount": 3 })));
    expect(pve01.verdict).toBe("degraded");
    expect(pve01.consequences).toEqual([expect.stringContaining("Longhorn volumes run degraded")]);
  });

  test("two servers on one node break etcd when that node goes down", () => {
    // Refused by the rules, so typed by the schema alone: the model must still describe it.
    const lab = labSchema.parse(
      labWith({
        "k3s.allowServersPerNode": 2,
        "k3s.servers[0].memoryMiB": 8192,
        "k3s.servers[1].proxmoxNode": "pve-01",
        "k3s.servers[1].memoryMiB": 4096,
      }),
    );
    const [pve01, pve02] = nMinusOne(lab);
    expect(pve01.verdict).toBe("breaks");
    expect(pve01.etcd).toEqual({ members: 3, surviving: 1, majority: 2, kept: false });
    expect(pve01.consequences).toEqual([
      expect.stringContaining("etcd loses quorum (1 of 3 members left, 2 needed)"),
      expect.stringContaining("Longhorn volumes run degraded (1 node(s) with a Longhorn disk left for 2 replicas) until pve-01 returns"),
    ]);
    expect(pve02).toMatchObject({ verdict: "survives", lostServers: [] });
  });

  test("surviving servers too small for the requests break the platform", () => {
    const lab = labSchema.parse(
      labWith({ "k3s.servers[0].memoryMiB": 3800, "k3s.servers[1].memoryMiB": 3800, "k3s.servers[2].memoryMiB": 3800 }),
    );
    const [pve01] = nMinusOne(lab);
    expect(pve01.capacity).toMatchObject({ fits: false, requests: { memoryMiB: 4592 }, allocatable: { memoryMiB: 4528 } });
    expect(pve01.consequences).toEqual([expect.stringContaining("pods stay Pending")]);
  });

  test("two Proxmox nodes lose corosync quorum with either one", () => {
    const lab = labSchema.parse(
      labWith({
        "proxmox.nodes[2]": undefined,
        "k3s.servers": [{ name: "k3s-master-1", vmId: 201, address: "192.168.1.21", proxmoxNode: "pve-01", memoryMiB: 12288 }],
        "platform.longhorn.replicaCount": 1,
      }),
    );
    const [, pve02] = nMinusOne(lab);
    expect(pve02.verdict).toBe("degraded");
    expect(pve02.consequences).toEqual([expect.stringContaining("the Proxmox cluster loses quorum (1 of 2 nodes)")]);
  });

  test("a node without a server breaks nothing, a lone server's node stops everything", () => {
    const raw = labWith({
      "k3s.servers": [{ name: "k3s-master-1", vmId: 201, address: "192.168.1.21", proxmoxNode: "pve-01", memoryMiB: 12288 }],
      "platform.longhorn.replicaCount": 1,
    });
    const [pve01, pve02] = nMinusOne(validLab(raw));
    expect(pve01.verdict).toBe("breaks");
    expect(pve01.consequences).toEqual([expect.stringContaining("the whole cluster stops")]);
    expect(pve02).toMatchObject({ verdict: "survives", lostServers: [], consequences: [] });
  });
});

describe("with agents (the agents lab)", () => {
  const lab = loadLab("agents");

  test("hosts: pve-04 carries both agents", () => {
    expect(hostUsage(lab).map((h) => [h.node, h.servers, h.agents, h.vmMemoryMiB, h.vcpus])).toEqual([
      ["pve-01", ["k3s-master-1"], [], 12288, 4],
      ["pve-02", ["k3s-master-2"], [], 12288, 4],
      ["pve-03", ["k3s-master-3"], [], 8192, 4],
      ["pve-04", [], ["k3s-agent-1", "k3s-agent-2"], 16384 + 8192, 12],
    ]);
  });

  test("an agent keeps the agent reserve; the tainted one runs only node-exporter", () => {
    const nodes = nodeCapacity(lab);
    expect(nodes.slice(3).map((n) => [n.name, n.role, n.allocatable, n.daemonSets, n.daemonSetIds, n.takesWorkloads, n.longhornReplicas])).toEqual([
      // 8 cores: Longhorn's 12% is 960m.
      ["k3s-agent-1", "agent", { memoryMiB: 16384 - 1024, milliCpu: 8000 - 250 }, { memoryMiB: 800, milliCpu: 460 + 960 }, ["metallb", "longhorn", "longhorn-instance-manager", "alloy", "node-exporter"], true, true],
      ["k3s-agent-2", "agent", { memoryMiB: 8192 - 1024, milliCpu: 4000 - 250 }, { memoryMiB: 32, milliCpu: 10 }, ["node-exporter"], false, false],
    ]);
  });

  test("the cluster counts the nodes that take workloads: the tainted agent's room is not the platform's", () => {
    expect(clusterCapacity(lab)).toEqual({
      servers: 3,
      agents: 2,
      workloadNodes: ["k3s-master-1", "k3s-master-2", "k3s-master-3", "k3s-agent-1"],
      vms: { memoryMiB: 32768 + 16384, milliCpu: 12000 + 8000 },
      systemReserve: { memoryMiB: 4608 + 1024, milliCpu: 1500 + 250 },
      allocatable: { memoryMiB: 28160 + 15360, milliCpu: 10500 + 7750 },
      requests: { memoryMiB: 2992 + 4 * 800, milliCpu: 1020 + 3 * 940 + 1420 },
    });
  });

  test("n−1: pve-04 takes both agents down; the servers keep quorum and hold the platform", () => {
    const losses = nMinusOne(lab);
    expect(losses.map((l) => [l.node, l.verdict, l.lostServers, l.lostAgents, l.survivingAgents])).toEqual([
      ["pve-01", "survives", ["k3s-master-1"], [], ["k3s-agent-1", "k3s-agent-2"]],
      ["pve-02", "survives", ["k3s-master-2"], [], ["k3s-agent-1", "k3s-agent-2"]],
      ["pve-03", "survives", ["k3s-master-3"], [], ["k3s-agent-1", "k3s-agent-2"]],
      ["pve-04", "survives", [], ["k3s-agent-1", "k3s-agent-2"], []],
    ]);
    expect(losses[3]).toMatchObject({
      etcd: { members: 3, surviving: 3, majority: 2, kept: true },
      capacity: { requests: { memoryMiB: 2992 + 3 * 800, milliCpu: 1020 + 3 * 940 }, allocatable: { memoryMiB: 28160, milliCpu: 10500 }, fits: true },
      longhorn: { replicaCount: 2, surviving: 3, fullyReplicated: true },
    });
    // Losing a server's node leaves the agent with the disk to Longhorn: 3 storage nodes left.
    expect(losses[0].longhorn).toEqual({ replicaCount: 2, surviving: 3, fullyReplicated: true });
  });

  test("an agent with failover is restarted on the first listed node with room, and counts there", () => {
    const moving = validLab(
      labWith(
        {
          "proxmox.sharedStorage": ["nfs-vm"],
          "k3s.agents[1].failover": { nodes: ["pve-01", "pve-03", "pve-02"], storage: "nfs-vm" },
          "k3s.agents[1].memoryMiB": 2048,
          "k3s.servers[0].memoryMiB": 11264,
        },
        "agents",
      ),
    );
    const pve04 = nMinusOne(moving)[3];
    // pve-01 has 13312 − 11264 = 2048 MiB free: the agent fits exactly (pve-03, 1024 MiB free, would not).
    expect(pve04.movedAgents).toEqual([{ name: "k3s-agent-2", to: "pve-01" }]);
    expect(pve04.lostAgents).toEqual(["k3s-agent-1"]);
    expect(pve04.survivingAgents).toEqual(["k3s-agent-2"]);
  });

  test("no failover node with room: the agent is lost with its node", () => {
    const stuck = validLab(
      labWith({ "proxmox.sharedStorage": ["nfs-vm"], "k3s.agents[1].failover": { nodes: ["pve-01"], storage: "nfs-vm" } }, "agents"),
    );
    expect(nMinusOne(stuck)[3]).toMatchObject({ movedAgents: [], lostAgents: ["k3s-agent-1", "k3s-agent-2"] });
  });
});
