/**
 * The lab as a picture: a Mermaid flowchart (Proxmox nodes and their VMs, the API VIP, the MetalLB
 * pool with its fixed service addresses, the Raspberry Pi, every web service with its URL, and the
 * metrics stack with what it scrapes and where its alerts go),
 * plus the same facts as tables for readers whose viewer does not render Mermaid.
 *
 * Pure functions of the validated config: `npm run diagram` (scripts/diagram.ts) writes the
 * result, and a test keeps the committed docs/lab-diagram.md equal to the default lab's render.
 */
import { exposedHosts, platformComponents } from "../../config/apps";
import { repositoryLabel } from "../../config/backups";
import { k3sNodes, takesWorkloads } from "../../config/placement";
import type { LabConfig } from "../../config/schema";

/** Where the committed diagram lives, relative to the project root. */
export const DIAGRAM_FILE = "docs/lab-diagram.md";

/** README.md embeds the diagram between these two lines; `npm run diagram` rewrites what is between. */
export const README_START = "<!-- diagram:start -->";
export const README_END = "<!-- diagram:end -->";

/** The command that re-renders the committed diagram from the default-lab fixture. */
export const REGENERATE_COMMAND = "HOMELAB_CONFIG=__tests__/fixtures/labs/default.yaml npm run diagram";

const MIB_PER_GIB = 1024;

/** Mermaid node ids: config names are DNS labels, so only '-' needs replacing. */
function id(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** A quoted Mermaid label; `lines` are joined with <br/>. Quotes would end the label early. */
function label(...lines: string[]): string {
  return `"${lines.map((l) => l.replace(/"/g, "#quot;")).join("<br/>")}"`;
}

function gib(mib: number): string {
  const value = mib / MIB_PER_GIB;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} GiB`;
}

/** The Mermaid flowchart source (without the ``` fence). */
export function renderMermaid(lab: LabConfig): string {
  const { network, proxmox, k3s, loadBalancer, raspberryPi } = lab;
  const apiFqdn = `${k3s.apiHostname}.${network.domain}`;
  const hosts = exposedHosts(lab);
  const descriptions = new Map(platformComponents(lab).map((c) => [c.id, c.description]));
  const nodes = k3sNodes(lab);
  const out: string[] = ["flowchart TB"];
  const add = (indent: number, line: string) => out.push(`${"  ".repeat(indent)}${line}`);

  add(1, `subgraph lan[${label(`LAN ${network.cidr} · ${network.domain}`)}]`);
  add(2, "direction TB");
  add(
    2,
    `isp[${label(
      `ISP box ${network.gateway}`,
      `gateway · DNS ${network.dnsServers.join(", ")}`,
      `DHCP ${network.dhcpRange.start}–${network.dhcpRange.end}`,
    )}]`,
  );

  add(2, `subgraph pve[${label(`Proxmox VE cluster ${proxmox.clusterName} · bridge ${network.bridge}`)}]`);
  for (const node of proxmox.nodes) {
    add(3, `subgraph ${id("node", node.name)}[${label(`${node.name} · ${node.address}`, `${node.model} · ${node.cpu} · ${node.memoryGiB} GiB`)}]`);
    for (const vm of k3s.servers.filter((s) => s.proxmoxNode === node.name)) {
      add(
        4,
        `${id("vm", vm.name)}[${label(
          `${vm.name} · VM ${vm.vmId}`,
          `${vm.address}`,
          `${vm.cores} vCPU · ${gib(vm.memoryMiB)} · K3s server + etcd${k3s.taintServers ? " (tainted)" : ""}`,
        )}]`,
      );
    }
    for (const vm of k3s.agents.filter((a) => a.proxmoxNode === node.name)) {
      const agent = nodes.find((n) => n.name === vm.name);
      const extras = [
        vm.dataDiskGiB !== undefined ? `Longhorn ${vm.dataDiskGiB} GiB` : "",
        agent && !takesWorkloads(agent) ? "tainted" : "",
        vm.failover ? `fails over to ${vm.failover.nodes.join(", ")}` : "",
      ].filter(Boolean);
      add(
        4,
        `${id("vm", vm.name)}[${label(
          `${vm.name} · VM ${vm.vmId}`,
          `${vm.address}`,
          `${vm.cores} vCPU · ${gib(vm.memoryMiB)} · K3s agent`,
          ...(extras.length ? [extras.join(" · ")] : []),
        )}]`,
      );
    }
    add(3, "end");
  }
  add(2, "end");

  add(2, `vip{{${label(`Kubernetes API VIP ${k3s.apiVip}`, `https://${apiFqdn}:6443 · kube-vip ${k3s.kubeVipVersion}`)}}}`);

  add(2, `subgraph pool[${label(`MetalLB pool ${loadBalancer.pool.start}–${loadBalancer.pool.end}`)}]`);
  add(3, `traefik_ip[${label(`Traefik ${loadBalancer.ingressIp}`, "HTTPS ingress :443")}]`);
  add(3, `dns_ip[${label(`AdGuard Home ${loadBalancer.dnsIp}`, "DNS TCP+UDP :53")}]`);
  add(3, `git_ssh_ip[${label(`Gitea SSH ${loadBalancer.gitSshIp}`, "git over SSH :22")}]`);
  add(2, "end");

  if (hosts.length) {
    add(2, `subgraph services[${label("Services (HTTPS through Traefik)")}]`);
    for (const h of hosts) add(3, `${id("svc", h.component)}[${label(h.url, descriptions.get(h.component) ?? h.component)}]`);
    add(2, "end");
  }

  const monitoring = lab.platform.monitoring;
  const ntfyNode = monitoring.ntfy.serverUrl !== undefined ? "ntfy_external" : hosts.some((h) => h.component === "ntfy") ? id("svc", "ntfy") : undefined;
  if (monitoring.enabled) {
    add(
      2,
      `metrics[(${label(
        "Prometheus + Alertmanager (kube-prometheus-stack)",
        `${monitoring.retentionDays} d · ${monitoring.storageGiB} GiB on Longhorn · scrape every ${monitoring.scrapeIntervalSeconds} s`,
        "pve-exporter · node-exporter · kube-state-metrics",
      )})]`,
    );
    if (monitoring.ntfy.serverUrl !== undefined) {
      add(2, `ntfy_external[${label(`ntfy ${monitoring.ntfy.serverUrl.replace(/\/+$/, "")}/${monitoring.ntfy.topic}`, "alerts (external)")}]`);
    }
  }

  if (raspberryPi) {
    const roles = [`NFS backups ${raspberryPi.backupExportPath}`];
    if (raspberryPi.secondaryDns) roles.push("secondary DNS");
    if (monitoring.enabled) roles.push("node + blackbox exporters");
    if (raspberryPi.terraformCloudAgent) roles.push("Terraform Cloud agent");
    if (raspberryPi.k3sAgent) roles.push("K3s agent (tainted NoExecute)");
    add(2, `rpi[${label(`Raspberry Pi ${raspberryPi.name} · ${raspberryPi.address}`, `${raspberryPi.arch} · ${roles.join(" · ")}`)}]`);
    if (raspberryPi.offsiteBackup) add(2, `deployer[${label("Deploy machine", "cdktf · terraform.<stack>.tfstate")}]`);
  }
  add(1, "end");
  // Outside the house: where the Pi's copies go (issue 16).
  const offsite = raspberryPi?.offsiteBackup;
  if (offsite) {
    add(
      1,
      `offsite[(${label("Off-site restic repository (encrypted)", repositoryLabel(offsite.repository), `cron ${offsite.schedule} · keeps ${offsite.retention.daily}d/${offsite.retention.weekly}w/${offsite.retention.monthly}m`)})]`,
    );
  } else if (raspberryPi) {
    add(1, `offsite_none[${label("No off-site copy", "set raspberryPi.offsiteBackup")}]`);
  }

  // Edges after every node is declared, so that Mermaid places each node in its subgraph.
  for (const vm of k3s.servers) add(1, `vip -.-> ${id("vm", vm.name)}`);
  // Agents join the cluster through the VIP.
  for (const vm of k3s.agents) add(1, `${id("vm", vm.name)} -->|${label("joins")}| vip`);
  if (raspberryPi?.k3sAgent) add(1, `rpi -->|${label("joins (K3s agent)")}| vip`);
  add(1, `isp -->|${label("primary DNS")}| dns_ip`);
  for (const h of hosts) add(1, `traefik_ip --> ${id("svc", h.component)}`);
  if (raspberryPi) {
    add(1, `pve -.->|${label("etcd snapshots, Longhorn backups (NFS)")}| rpi`);
    if (raspberryPi.secondaryDns) add(1, `isp -->|${label("secondary DNS")}| rpi`);
    if (offsite) {
      add(1, `deployer -.->|${label("Terraform state, encrypted (npm run deploy)")}| rpi`);
      add(1, `rpi ==>|${label("restic: etcd, Longhorn, state, AdGuard")}| offsite`);
      add(1, `offsite -.->|${label(`restore drill, cron ${offsite.drill.schedule}`)}| rpi`);
    } else {
      add(1, `rpi -.-x|${label("backups stay in the house")}| offsite_none`);
    }
  }
  if (monitoring.enabled) {
    add(1, `metrics -.->|${label("scrapes (pve-exporter, read-only token)")}| pve`);
    if (raspberryPi) {
      add(1, `metrics -.->|${label("scrapes")}| rpi`);
      add(1, `rpi -.->|${label("probes")}| vip`);
    }
    if (hosts.some((h) => h.component === "grafana")) add(1, `${id("svc", "grafana")} -.->|${label("queries")}| metrics`);
    if (ntfyNode) {
      add(1, `metrics -->|${label("alerts")}| ${ntfyNode}`);
      add(1, `pve -->|${label("notifications (webhook)")}| ${ntfyNode}`);
    }
  }
  return out.join("\n");
}

/** Address plan and URLs as Markdown tables. */
function renderTables(lab: LabConfig): string {
  const { network, proxmox, k3s, loadBalancer, raspberryPi } = lab;
  const rows: [string, string, string][] = [
    [network.gateway, "ISP box", "gateway, upstream DNS"],
    [`${network.dhcpRange.start}–${network.dhcpRange.end}`, "DHCP range", "leased by the ISP box; no static address here"],
    ...proxmox.nodes.map((n): [string, string, string] => [n.address, n.name, `Proxmox VE node (${n.model}, ${n.memoryGiB} GiB)`]),
    ...k3s.servers.map((s): [string, string, string] => [s.address, s.name, `K3s server VM ${s.vmId} on ${s.proxmoxNode}`]),
    ...k3s.agents.map((a): [string, string, string] => [a.address, a.name, `K3s agent VM ${a.vmId} on ${a.proxmoxNode}`]),
    [k3s.apiVip, `${k3s.apiHostname}.${network.domain}`, "Kubernetes API virtual IP (kube-vip)"],
    [`${loadBalancer.pool.start}–${loadBalancer.pool.end}`, "MetalLB pool", "LoadBalancer Services"],
    [loadBalancer.ingressIp, "Traefik", "HTTPS for every service below"],
    [loadBalancer.dnsIp, "AdGuard Home", "DNS: primary resolver handed out by the ISP box"],
    [loadBalancer.gitSshIp, "Gitea SSH", "git over SSH"],
  ];
  if (raspberryPi) {
    rows.push([raspberryPi.address, raspberryPi.name, `Raspberry Pi: backups (NFS), secondary DNS${raspberryPi.k3sAgent ? ", K3s agent (tainted)" : ""}`]);
    const offsite = raspberryPi.offsiteBackup;
    rows.push([
      "outside the LAN",
      "off-site backups",
      offsite ? `restic repository ${repositoryLabel(offsite.repository)} (from ${raspberryPi.name})` : "none: set raspberryPi.offsiteBackup",
    ]);
  }
  const services = exposedHosts(lab);
  return [
    "| Address | Name | Role |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    "| Service | URL |",
    "| --- | --- |",
    ...services.map((h) => `| ${h.component} | ${h.url} |`),
  ].join("\n");
}

/** The whole docs/lab-diagram.md. */
export function renderDiagramDocument(lab: LabConfig): string {
  return [
    "<!-- Generated by `npm run diagram` from the lab config. Do not edit: edit the config and run it again. -->",
    "# The lab",
    "",
    `${lab.proxmox.nodes.length} Proxmox VE nodes, ${lab.k3s.servers.length} K3s server VMs (embedded etcd), ` +
      (lab.k3s.agents.length ? `${lab.k3s.agents.length} K3s agent VM${lab.k3s.agents.length === 1 ? "" : "s"}, ` : "") +
      `the Kubernetes API on a virtual IP, and the platform's services behind Traefik.`,
    "",
    "```mermaid",
    renderMermaid(lab),
    "```",
    "",
    renderTables(lab),
    "",
  ].join("\n");
}

/** README.md with its marked diagram block replaced, or undefined when the markers are missing. */
export function replaceReadmeBlock(readme: string, lab: LabConfig): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return undefined;
  const block = [
    README_START,
    "<!-- Generated by `npm run diagram` from the lab config. Do not edit between these markers. -->",
    "```mermaid",
    renderMermaid(lab),
    "```",
    "",
    `Addresses and URLs of every machine and service: [${DIAGRAM_FILE}](${DIAGRAM_FILE}).`,
    "",
  ].join("\n");
  return readme.slice(0, start) + block + readme.slice(end);
}
