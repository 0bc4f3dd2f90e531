/**
 * The synth benchmark's generated labs are valid labs the way a lab grows (3 servers, agents over
 * more Proxmox nodes), and its verdicts (cost per added VM, linear or worse, the targets)
 * are the arithmetic they claim.
 */
import { validateLab, formatProblems } from "../../config/load";
import { growthSteps, growthVerdict, targetChecks, type SizeMeasurement } from "../../bench/lib/growth";
import { scaleLab } from "../../bench/lib/scale-lab";
import { rawLab } from "../helpers";

describe("scaleLab", () => {
  test.each([
    [0, 3],
    [30, 15],
    [300, 150],
  ])("3 servers + %i agents on %i Proxmox nodes pass every config rule", (agents, nodes) => {
    const result = validateLab(scaleLab(rawLab(), { agents, nodes }));
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const lab = result.lab;
    expect(lab.k3s.servers.map((s) => [s.name, s.proxmoxNode])).toEqual([
      ["k3s-server-1", lab.proxmox.nodes[0].name],
      ["k3s-server-2", lab.proxmox.nodes[1].name],
      ["k3s-server-3", lab.proxmox.nodes[2].name],
    ]);
    expect(lab.k3s.agents).toHaveLength(agents);
    expect(lab.proxmox.nodes).toHaveLength(nodes);
    // Round-robin: every node carries agents once there are as many agents as nodes.
    if (agents >= nodes) expect(new Set(lab.k3s.agents.map((a) => a.proxmoxNode)).size).toBe(nodes);
    // Every agent is a real worker: a Longhorn disk, no taint.
    expect(lab.k3s.agents.every((a) => a.dataDiskGiB === 100 && a.taints.length === 0)).toBe(true);
  });

  test("30 agents on 15 nodes: two per node, the first on pve-01, addresses and VM ids in their own blocks", () => {
    const lab = scaleLab(rawLab(), { agents: 30, nodes: 15 });
    expect(lab.k3s.agents.slice(0, 2)).toEqual([
      { name: "k3s-agent-01", vmId: 2001, address: "10.0.32.1", proxmoxNode: "pve-01", cores: 2, memoryMiB: 4096, dataDiskGiB: 100 },
      { name: "k3s-agent-02", vmId: 2002, address: "10.0.32.2", proxmoxNode: "pve-02", cores: 2, memoryMiB: 4096, dataDiskGiB: 100 },
    ]);
    expect(lab.k3s.agents[15].proxmoxNode).toBe("pve-01");
  });

  test("keeps the default lab's platform, images and Pi", () => {
    const base = rawLab();
    const lab = scaleLab(base, { agents: 30, nodes: 15 });
    expect(lab.platform).toEqual(base.platform);
    expect(lab.vm).toEqual(base.vm);
    expect(lab.raspberryPi.name).toBe(base.raspberryPi.name);
  });

  test("fails when there are fewer nodes than servers (one etcd member per host)", () => {
    expect(() => scaleLab(rawLab(), { agents: 0, nodes: 2 })).toThrow(
      "scaleLab: 2 Proxmox nodes; the 3 servers need one node each (etcd: one member per host)",
    );
  });

  test("fails when the agents do not fit the nodes, saying to add nodes", () => {
    expect(() => scaleLab(rawLab(), { agents: 16, nodes: 3 })).toThrow("scaleLab: 16 agents on 3 nodes; at most 5 agents fit a node beside its server: add nodes");
  });
});

describe("the benchmark's verdicts", () => {
  const row = (vms: number, cpuSeconds: number, seconds = cpuSeconds, peakMiB = 200): SizeMeasurement => ({ vms, cpuSeconds, seconds, peakMiB });

  test("the cost of each added VM is the CPU between two sizes over the VMs added", () => {
    const [first, second] = growthSteps([row(3, 2), row(33, 2.3), row(303, 5)]);
    expect(first).toMatchObject({ from: 3, to: 33, vmRatio: 11 });
    expect(first.marginalCpuMs).toBeCloseTo(10, 6);
    expect(second.marginalCpuMs).toBeCloseTo(10, 6);
    expect(second.cpuRatio).toBeCloseTo(5 / 2.3, 6);
  });

  test("a flat cost per VM is linear; a cost that more than doubles is worse than linear", () => {
    expect(growthVerdict([row(3, 2), row(33, 2.3), row(303, 5)])).toBe(
      "growth: linear or better (CPU × 2.50 for VMs × 101; 10.0 CPU ms per added VM at 303 VMs vs 10.0 at 33)",
    );
    // 10 ms per VM, then 78 ms per VM: what one process per VM looked like.
    expect(growthVerdict([row(3, 2), row(33, 2.3), row(303, 23.36)])).toBe(
      "growth: WORSE than linear (each added VM costs 78.0 CPU ms at 303 VMs vs 10.0 at 33)",
    );
  });

  test("a first step within the noise is no baseline to call growth worse", () => {
    expect(growthVerdict([row(3, 2), row(33, 2.1), row(303, 20)])).toMatch(/^growth: linear or better/);
  });

  test("the targets: the largest lab under 3× the smallest's time and under 300 MiB", () => {
    expect(targetChecks([row(3, 2, 2.5, 180), row(303, 5.9, 7.4, 299)])).toEqual([
      { what: "synth time, 303 VMs / 3 VMs (wall)", value: "2.96×", target: "< 3×", met: true },
      { what: "synth time, 303 VMs / 3 VMs (CPU)", value: "2.95×", target: "< 3×", met: true },
      { what: "peak memory, 303 VMs", value: "299 MiB", target: "< 300 MiB", met: true },
    ]);
    expect(targetChecks([row(3, 2, 2, 180), row(303, 6, 6, 300)]).map((c) => c.met)).toEqual([false, false, false]);
  });
});
