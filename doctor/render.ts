/**
 * The plan as text for a terminal: addresses, URLs, capacity bars, the n−1 verdict, then the
 * problems. Colors only when asked for (the CLI asks when stdout is a TTY and NO_COLOR is unset).
 */
import type { Demand, NodeLoss, Verdict } from "../config/capacity";
import { summary, type AddressRow, type Plan } from "./plan";

export interface RenderOptions {
  /** ANSI colors. @default false */
  readonly color?: boolean;
  /** Width of a capacity bar in characters. @default 20 */
  readonly barWidth?: number;
}

const ANSI = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
type Style = keyof typeof ANSI;

/** `[#######.....]`: `used` of `total`, full with a `!` when over. */
export function bar(used: number, total: number, width = 20): string {
  if (total <= 0) return `[${"!".repeat(width)}]`;
  const filled = Math.min(width, Math.round((used / total) * width));
  const over = used > total ? "!" : "";
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]${over}`;
}

function table(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  ").trimEnd());
}

const addressText = (a: AddressRow) => (a.end ? `${a.ip}–${a.end}` : a.ip);
const mem = (d: Demand) => `${d.memoryMiB} MiB`;
const cpu = (d: Demand) => `${d.milliCpu}m CPU`;

const VERDICT_STYLE: Record<Verdict, Style> = { survives: "green", degraded: "yellow", breaks: "red" };

function lossText(loss: NodeLoss): string {
  const moved = loss.movedAgents.length
    ? `${loss.movedAgents.map((m) => `${m.name} restarts on ${m.to}`).join(", ")} (Proxmox HA)`
    : "";
  if (loss.consequences.length > 0) return [...loss.consequences, moved].filter(Boolean).join("; ");
  const lost = [...loss.lostServers, ...loss.lostAgents];
  if (lost.length === 0) return moved || "hosts no K3s node: nothing to move";
  const { capacity: c } = loss;
  const holders = loss.survivingAgents.length ? ", with the agents, hold" : " hold";
  const quorum = loss.lostServers.length
    ? `${loss.survivingServers.join(" + ")} keep etcd quorum (${loss.etcd.surviving} of ${loss.etcd.members}) and${holders}`
    : `etcd keeps all ${loss.etcd.members} members and the other nodes hold`;
  return (
    `loses ${lost.join(", ")}${moved ? `; ${moved}` : ""}; ${quorum} every request ` +
    `(${c.requests.memoryMiB}/${c.allocatable.memoryMiB} MiB, ${c.requests.milliCpu}/${c.allocatable.milliCpu}m CPU); ` +
    `Longhorn keeps ${loss.longhorn.replicaCount} replica${loss.longhorn.replicaCount > 1 ? "s" : ""}`
  );
}

export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const paint = (style: Style, text: string) => (options.color ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
  const width = options.barWidth ?? 20;
  const out: string[] = [paint("bold", `homelab doctor: ${plan.config}`), ""];
  const section = (title: string) => out.push(paint("bold", title));

  if (plan.addresses.length > 0) {
    section(`Addresses in ${plan.lan}`);
    out.push(...table([["ADDRESS", "OWNER", "CONFIG"], ...plan.addresses.map((a) => [addressText(a), a.owner, a.path])]), "");
  }

  if (plan.urls.length > 0) {
    section("URLs");
    out.push(...table([["URL", "SERVES", "RESOLVES TO"], ...plan.urls.map((u) => [u.url, u.component, u.address])]), "");
  }

  const cap = plan.capacity;
  if (cap) {
    section(
      `Proxmox nodes (VM memory against RAM minus ${cap.hostReserveMiB} MiB kept for Proxmox; vCPUs against threads × ${cap.cpuOvercommit})`,
    );
    out.push(
      ...table(
        cap.hosts.map((h) => [
          h.node,
          `memory ${bar(h.vmMemoryMiB, h.availableMiB, width)} ${h.vmMemoryMiB}/${h.availableMiB} MiB`,
          `vCPU ${bar(h.vcpus, h.vcpuLimit, width)} ${h.vcpus}/${h.vcpuLimit}`,
          [...h.servers, ...h.agents].length ? [...h.servers, ...h.agents].join(", ") : "(no K3s VM)",
        ]),
      ),
      "",
    );
    const agentReserve =
      cap.nodes.some((n) => n.role === "agent") ? `; agents keep ${cap.agentSystemReserve.memoryMiB} MiB and ${cap.agentSystemReserve.milliCpu}m CPU` : "";
    section(
      `Kubernetes nodes (allocatable = VM minus what servers keep for the system, ${cap.systemReserve.memoryMiB} MiB and ${cap.systemReserve.milliCpu}m CPU` +
        `${agentReserve}; DaemonSets run on each node they tolerate)`,
    );
    out.push(
      ...table(
        cap.nodes.map((n) => [
          n.name,
          `on ${n.proxmoxNode}`,
          ...(cap.nodes.some((x) => x.role === "agent") ? [n.role] : []),
          `VM ${mem(n.vm)}, ${n.vm.milliCpu / 1000} cores`,
          `allocatable ${mem(n.allocatable)}, ${cpu(n.allocatable)}`,
          `DaemonSets ${mem(n.daemonSets)}, ${cpu(n.daemonSets)}`,
          n.takesWorkloads ? "" : "tainted: DaemonSets only",
        ]),
      ),
      "",
    );
    section("Platform components (requests / memory limit; per node: one on each node it tolerates)");
    out.push(
      ...table(
        cap.components.map((p) => {
          const r = p.resources;
          const copies = p.instances && p.instances > 1 ? ` × ${p.instances}` : "";
          const share = p.perNodeCpuPercent !== undefined ? `${p.perNodeCpuPercent}% of each node's CPU` : "";
          const asks = r.requestMemoryMiB || r.requestMilliCpu || !share ? `${r.requestMemoryMiB} MiB, ${r.requestMilliCpu}m / ${r.limitMemoryMiB} MiB${copies}` : "";
          return [p.id, p.namespace, p.perNode ? "per node" : "shared", [asks, share].filter(Boolean).join(" + ")];
        }),
      ),
      "",
    );
    const c = cap.cluster;
    const agentCount = c.agents ? `, ${c.agents} agent${c.agents === 1 ? "" : "s"}` : "";
    const onWorkload =
      c.workloadNodes.length === c.servers + c.agents ? "" : `; counted on the ${c.workloadNodes.length} that take workloads: ${c.workloadNodes.join(", ")}`;
    section(`Platform requests on the cluster (${c.servers} server${c.servers === 1 ? "" : "s"}${agentCount}${onWorkload})`);
    out.push(
      ...table([
        ["memory", `${bar(c.requests.memoryMiB, c.allocatable.memoryMiB, width)} ${c.requests.memoryMiB}/${c.allocatable.memoryMiB} MiB allocatable`],
        ["CPU", `${bar(c.requests.milliCpu, c.allocatable.milliCpu, width)} ${c.requests.milliCpu}/${c.allocatable.milliCpu}m allocatable`],
      ]),
      "",
    );
  }

  if (plan.nMinusOne.length > 0) {
    section("If one Proxmox node goes down (n−1)");
    const rows = plan.nMinusOne.map((l) => [l.node, l.verdict, lossText(l)]);
    const nodeWidth = Math.max(...rows.map((r) => r[0].length));
    const verdictWidth = Math.max(...rows.map((r) => r[1].length));
    for (const [node, verdict, text] of rows) {
      out.push(`  ${node.padEnd(nodeWidth)}  ${paint(VERDICT_STYLE[verdict as Verdict], verdict.padEnd(verdictWidth))}  ${text}`);
    }
    out.push("");
  }

  if (plan.placement && plan.placement.nodes.some((n) => n.role === "agent" || n.taints.length > 0)) {
    section("Where pods run (node classes, as K3s registers them)");
    out.push(
      ...table([
        ["NODE", "ROLE", "ON", "PLATFORM PODS", "LONGHORN", "NETWORK", "PROXMOX HA"],
        ...plan.placement.nodes.map((n) => [
          n.name,
          n.role,
          n.host,
          n.platform,
          n.longhornReplicas ? "replicas" : "-",
          n.network,
          n.ha,
        ]),
      ]),
      ...plan.placement.nodes
        .filter((n) => n.taints.length > 0 || n.labels.some((l) => !l.startsWith("node.longhorn.io/")))
        .map((n) => `  ${n.name}: ${[...n.labels.map((l) => `label ${l}`), ...n.taints.map((t) => `taint ${t}`)].join(", ")}`),
      ...plan.placement.notes.map((note) => `  ${note}`),
      "",
    );
  } else if (plan.placement) {
    section("Where pods run");
    out.push(...plan.placement.notes.map((note) => `  ${note}`), "");
  }

  if (plan.backups) {
    section("Backups (where each copy goes)");
    out.push(
      ...table([
        ["WHAT", "MADE BY", "IN THE HOUSE", "OFF-SITE"],
        ...plan.backups.routes.map((r) => [r.what, r.source, r.local, r.offsite]),
      ]),
      `  off-site: ${plan.backups.offsite}`,
      `  restore drill: ${plan.backups.drill}`,
      "",
    );
    if (plan.backups.checks.length > 0) {
      section("Day two: are the backups working? (a failed unit is the alarm; docs/backups.md)");
      out.push(...plan.backups.checks.map((c) => `  ${c}`), "");
    }
  }

  if (plan.problems.length > 0) {
    section("Problems");
    for (const p of plan.problems) {
      const label = p.severity === "error" ? paint("red", "error") : paint("yellow", "warning");
      out.push(`  ${label}: ${p.path}: ${p.message}`);
    }
    out.push("");
  }

  const { errors, warnings } = summary(plan);
  const counts = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
  out.push(
    errors > 0
      ? paint("red", `NOT OK: ${counts}. Fix the errors above; synth refuses this config.`)
      : paint("green", `OK: ${counts}.`),
  );
  return out.join("\n") + "\n";
}
