/**
 * Where things run: the K3s nodes with the labels and taints K3s registers, Kubernetes' toleration
 * rule, and the nodes Longhorn keeps replicas on.
 */
import {
  CONTROL_PLANE_TAINT,
  hardTaints,
  k3sNodes,
  k3sVms,
  LONGHORN_DISK_LABEL,
  longhornNeedsDiskLabels,
  longhornRunsOn,
  longhornStorageNodes,
  parseTaint,
  RASPBERRY_PI_TAINT,
  schedulesOn,
  takesWorkloads,
  tolerates,
} from "../../config/placement";
import { labWith, loadLab, validLab } from "../helpers";

describe("k3sNodes", () => {
  test("the default lab: three servers with the Longhorn disk label, untainted", () => {
    expect(k3sNodes(loadLab()).map((n) => [n.name, n.role, n.path, n.labels, n.taints, n.longhornDisk])).toEqual([
      ["k3s-master-1", "server", "k3s.servers[0]", [LONGHORN_DISK_LABEL], [], true],
      ["k3s-master-2", "server", "k3s.servers[1]", [LONGHORN_DISK_LABEL], [], true],
      ["k3s-master-3", "server", "k3s.servers[2]", [LONGHORN_DISK_LABEL], [], true],
    ]);
  });

  test("the agents lab: servers, then agents with the Longhorn label only where there is a disk, their own labels after it", () => {
    expect(k3sNodes(loadLab("agents")).slice(3).map((n) => [n.name, n.role, n.path, n.labels, n.taints, n.longhornDisk])).toEqual([
      ["k3s-agent-1", "agent", "k3s.agents[0]", [LONGHORN_DISK_LABEL, "homelab/pool=general"], [], true],
      ["k3s-agent-2", "agent", "k3s.agents[1]", ["homelab/pool=batch"], ["homelab/pool=batch:NoSchedule"], false],
    ]);
  });

  test("taintServers: every server gets the control-plane taint", () => {
    const lab = validLab(
      labWith(
        { "k3s.taintServers": true, "k3s.agents[1].taints": [], "k3s.agents[1].dataDiskGiB": 200, "k3s.agents[1].proxmoxNode": "pve-01", "k3s.servers[0].memoryMiB": 4096 },
        "agents",
      ),
    );
    expect(k3sNodes(lab).filter((n) => n.role === "server").map((n) => n.taints)).toEqual([[CONTROL_PLANE_TAINT], [CONTROL_PLANE_TAINT], [CONTROL_PLANE_TAINT]]);
  });

  test("the Pi, when it is an agent: last, not a VM, tainted NoExecute, no Longhorn disk", () => {
    const lab = validLab(labWith({ "raspberryPi.k3sAgent": true }));
    const pi = k3sNodes(lab).at(-1)!;
    expect(pi).toEqual({
      kind: "raspberry-pi",
      name: "rpi-01",
      role: "agent",
      path: "raspberryPi",
      address: "192.168.1.5",
      labels: ["homelab/node-class=raspberry-pi"],
      taints: [RASPBERRY_PI_TAINT],
      longhornDisk: false,
    });
    expect(k3sVms(lab).map((n) => n.name)).toEqual(["k3s-master-1", "k3s-master-2", "k3s-master-3"]);
  });
});

describe("taints and tolerations", () => {
  test("parses key=value:Effect and key:Effect", () => {
    expect(parseTaint("homelab/pool=batch:NoSchedule")).toEqual({ key: "homelab/pool", value: "batch", effect: "NoSchedule" });
    expect(parseTaint(CONTROL_PLANE_TAINT)).toEqual({ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" });
  });

  test("PreferNoSchedule is not enforced", () => {
    expect(hardTaints({ taints: ["a:PreferNoSchedule", "b=c:NoExecute"] })).toEqual([{ key: "b", value: "c", effect: "NoExecute" }]);
    expect(takesWorkloads({ taints: ["a:PreferNoSchedule"] })).toBe(true);
  });

  test("Kubernetes' matching: no key matches every key, no effect every effect", () => {
    const taint = parseTaint("homelab/pool=batch:NoSchedule");
    expect(tolerates([{ effect: "NoSchedule" }], taint)).toBe(true);
    expect(tolerates([{ key: "homelab/pool" }], taint)).toBe(true);
    expect(tolerates([{ key: "homelab/pool", effect: "NoExecute" }], taint)).toBe(false);
    expect(tolerates([{ key: "other", effect: "NoSchedule" }], taint)).toBe(false);
    expect(tolerates([], taint)).toBe(false);
  });

  test("a pod schedules on a node only when it tolerates every hard taint", () => {
    const node = { taints: [CONTROL_PLANE_TAINT, "homelab/pool=batch:NoSchedule"] };
    expect(schedulesOn(node, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }])).toBe(false);
    expect(schedulesOn(node, [{ effect: "NoSchedule" }])).toBe(true);
    // The Pi's NoExecute taint keeps node-exporter (NoSchedule only) off it.
    expect(schedulesOn({ taints: [RASPBERRY_PI_TAINT] }, [{ effect: "NoSchedule" }])).toBe(false);
  });
});

describe("Longhorn's nodes", () => {
  test("the agents lab: Longhorn runs on every untainted node, keeps replicas where there is a disk", () => {
    const lab = loadLab("agents");
    expect(longhornRunsOn(lab).map((n) => n.name)).toEqual(["k3s-master-1", "k3s-master-2", "k3s-master-3", "k3s-agent-1"]);
    expect(longhornStorageNodes(lab).map((n) => n.name)).toEqual(["k3s-master-1", "k3s-master-2", "k3s-master-3", "k3s-agent-1"]);
    expect(longhornNeedsDiskLabels(lab)).toBe(false);
  });

  test("an untainted agent without a disk runs Longhorn: default disks must then be opt-in by label", () => {
    const lab = validLab(labWith({ "k3s.agents[1].taints": [] }, "agents"));
    expect(longhornRunsOn(lab).map((n) => n.name)).toContain("k3s-agent-2");
    expect(longhornStorageNodes(lab).map((n) => n.name)).not.toContain("k3s-agent-2");
    expect(longhornNeedsDiskLabels(lab)).toBe(true);
  });

  test("the default lab needs no label: every node has its disk", () => {
    expect(longhornNeedsDiskLabels(loadLab())).toBe(false);
  });
});
