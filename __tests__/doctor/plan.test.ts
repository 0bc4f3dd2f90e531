import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { exposedHosts, platformComponents } from "../../config/apps";
import { diagnoseYaml } from "../../doctor/diagnose";
import { addressTable, buildPlan, urlTable, type Plan } from "../../doctor/plan";
import { bar, renderPlan } from "../../doctor/render";
import { labSchema } from "../../config/schema";
import { FIXTURES, labWith, loadLab } from "../helpers";
import { recorded, recordedText } from "../support/read-recorder";

const DEFAULT_TEXT = readFileSync(join(FIXTURES, "labs", "default.yaml"), "utf8");
const planOf = (text: string): Plan => recorded(buildPlan("homelab.yaml", diagnoseYaml(text, "homelab.yaml")), "doctor");

describe("the default lab's plan", () => {
  const plan = planOf(DEFAULT_TEXT);
  const text = recordedText(renderPlan(plan), "doctor-text");

  test("passes with only the shipped examples' warnings (SSH key, install MACs)", () => {
    expect(plan.ok).toBe(true);
    expect(plan.problems.map((p) => [p.severity, p.path])).toEqual([
      ["warning", "vm.sshPublicKeys[0]"],
      ["warning", "proxmox.nodes[0].install.mac, proxmox.nodes[1].install.mac, proxmox.nodes[2].install.mac"],
      ["warning", "raspberryPi.offsiteBackup"],
    ]);
    expect(text).toContain("OK: 0 errors, 3 warnings.");
  });

  test("ends with the verdict synth acts on: OK when there is no error (NOT OK would send the user looking)", () => {
    expect(text.endsWith("\n\nOK: 0 errors, 3 warnings.\n")).toBe(true);
  });

  test("the example-key warning names the fix", () => {
    expect(plan.problems[0].message).toContain("replace it with your own public key (cat ~/.ssh/id_ed25519.pub)");
    expect(text).toMatch(/^Problems\n {2}warning: vm\.sshPublicKeys\[0\]: this is the example key/m);
  });

  test("renders the same text as last time (review the diff like code)", () => {
    expect(text).toMatchSnapshot();
  });

  test("has the VIP row, with its owner and config path", () => {
    expect(text).toMatch(/^ {2}192\.168\.1\.50 +Kubernetes API VIP \(kube-vip\) +k3s\.apiVip$/m);
  });

  test("lists the DHCP range and the MetalLB pool as rows", () => {
    expect(text).toMatch(/^ {2}192\.168\.1\.60–192\.168\.1\.79 +MetalLB pool \(20 addresses\) +loadBalancer\.pool$/m);
    expect(text).toMatch(/^ {2}192\.168\.1\.100–192\.168\.1\.199 +DHCP range of the ISP box \(100 addresses\) +network\.dhcpRange$/m);
  });

  test("lists every URL the platform serves", () => {
    const hosts = exposedHosts(loadLab());
    expect(hosts.length).toBeGreaterThan(5);
    for (const h of hosts) expect(text).toContain(h.url);
    expect(text).toContain("https://k3s.home.arpa:6443");
  });

  test("gives pve-03's n−1 verdict", () => {
    expect(text).toMatch(
      /^ {2}pve-03 +survives +loses k3s-master-3; k3s-master-1 \+ k3s-master-2 keep etcd quorum \(2 of 3\) and hold every request \(4592\/21504 MiB, 2900\/7000m CPU\)/m,
    );
  });

  test("draws the hosts' memory with a bar", () => {
    expect(text).toMatch(/^ {2}pve-01 +memory \[#{18}\.{2}\] 12288\/13312 MiB +vCPU \[#{5}\.{15}\] 4\/16 +k3s-master-1$/m);
  });

  test("draws every host's memory and vCPUs against what it can give, rounded to the nearest cell", () => {
    // pve-03: 8192 of 9216 MiB is 17.8 cells of 20, drawn as 18.
    expect(lines(text, /^ {2}pve-0\d +memory/)).toEqual([
      "  pve-01  memory [##################..] 12288/13312 MiB  vCPU [#####...............] 4/16  k3s-master-1",
      "  pve-02  memory [##################..] 12288/13312 MiB  vCPU [#####...............] 4/16  k3s-master-2",
      "  pve-03  memory [##################..] 8192/9216 MiB    vCPU [##########..........] 4/8   k3s-master-3",
    ]);
  });

  test("gives each server's VM, what the system reserve leaves allocatable, and the DaemonSets on it", () => {
    expect(lines(text, /^ {2}k3s-master-\d +on /)).toEqual([
      "  k3s-master-1  on pve-01  VM 12288 MiB, 4 cores  allocatable 10752 MiB, 3500m CPU  DaemonSets 800 MiB, 940m CPU",
      "  k3s-master-2  on pve-02  VM 12288 MiB, 4 cores  allocatable 10752 MiB, 3500m CPU  DaemonSets 800 MiB, 940m CPU",
      "  k3s-master-3  on pve-03  VM 8192 MiB, 4 cores   allocatable 6656 MiB, 3500m CPU   DaemonSets 800 MiB, 940m CPU",
    ]);
  });

  test("draws the platform's requests against the cluster's allocatable (5392 of 28160 MiB: 3.8 cells, drawn as 4)", () => {
    expect(lines(text, /^ {2}(memory|CPU) +\[/)).toEqual([
      "  memory  [####................] 5392/28160 MiB allocatable",
      "  CPU     [#######.............] 3840/10500m allocatable",
    ]);
  });

  test("gives every node's n−1 verdict, with what the two servers left must hold", () => {
    expect(lines(text, /^ {2}pve-0\d +survives/)).toEqual([
      "  pve-01  survives  loses k3s-master-1; k3s-master-2 + k3s-master-3 keep etcd quorum (2 of 3) and hold every request (4592/17408 MiB, 2900/7000m CPU); Longhorn keeps 2 replicas",
      "  pve-02  survives  loses k3s-master-2; k3s-master-1 + k3s-master-3 keep etcd quorum (2 of 3) and hold every request (4592/17408 MiB, 2900/7000m CPU); Longhorn keeps 2 replicas",
      "  pve-03  survives  loses k3s-master-3; k3s-master-1 + k3s-master-2 keep etcd quorum (2 of 3) and hold every request (4592/21504 MiB, 2900/7000m CPU); Longhorn keeps 2 replicas",
    ]);
  });

  test("the capacity section carries the reserves it was computed with, as the config sets them", () => {
    const lab = loadLab();
    expect(plan.capacity).toMatchObject({
      hostReserveMiB: lab.proxmox.hostReserveMiB,
      cpuOvercommit: lab.proxmox.cpuOvercommit,
      systemReserve: { memoryMiB: lab.k3s.systemReserveMiB, milliCpu: lab.k3s.systemReserveMilliCpu },
    });
    expect([lab.proxmox.hostReserveMiB, lab.proxmox.cpuOvercommit, lab.k3s.systemReserveMiB, lab.k3s.systemReserveMilliCpu]).toEqual([3072, 2, 1536, 500]);
  });

  test("prints one row per address: the address or range, its owner, the config path to change", () => {
    const rows = addressTable(loadLab());
    expect(rows.length).toBeGreaterThan(10);
    const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (const r of rows) {
      const address = r.end ? `${r.ip}–${r.end}` : r.ip;
      expect(text).toMatch(new RegExp(`^ {2}${escape(address)} +${escape(r.owner)} +${escape(r.path)}$`, "m"));
    }
  });

  test("prints each URL with what serves it and the address it resolves to", () => {
    for (const u of urlTable(loadLab())) expect(text).toMatch(new RegExp(`^ {2}${u.url.replace(/\./g, "\\.")} +${u.component} +${u.address.replace(/\./g, "\\.")}$`, "m"));
  });

  test("prints each platform component's requests and memory limit as the catalog has them", () => {
    for (const c of platformComponents(loadLab())) {
      const r = c.resources;
      const size = c.perNodeCpuPercent !== undefined ? `${c.perNodeCpuPercent}% of each node's CPU` : `${r.requestMemoryMiB} MiB, ${r.requestMilliCpu}m / ${r.limitMemoryMiB} MiB`;
      const line = new RegExp(`^ {2}${c.id} +${c.namespace} +${c.perNode ? "per node" : "shared"} +${size.replace(/[()%]/g, "\\$&")}${c.instances ? ` × ${c.instances}` : ""}$`, "m");
      expect(text).toMatch(line);
    }
  });

  test("the example MAC warning says what to replace and where to read the real values", () => {
    expect(plan.problems[1].message).toContain("replace them, and the disk serials, with each node's own (`ip link` and `lsblk -d -o NAME,SERIAL` on that machine)");
  });

  test("has no ANSI colors unless asked for", () => {
    expect(text).not.toContain("\u001b[");
    expect(renderPlan(plan, { color: true })).toContain("\u001b[33mwarning\u001b[0m");
  });

  test("is JSON-serializable for --json, with every section", () => {
    const json = JSON.parse(JSON.stringify(plan));
    expect(Object.keys(json)).toEqual(["config", "ok", "lan", "addresses", "urls", "capacity", "nMinusOne", "placement", "backups", "problems"]);
    expect(json.addresses).toContainEqual({ ip: "192.168.1.50", owner: "Kubernetes API VIP (kube-vip)", path: "k3s.apiVip", kind: "vip" });
    expect(json.nMinusOne.map((l: { node: string; verdict: string }) => [l.node, l.verdict])).toEqual([
      ["pve-01", "survives"],
      ["pve-02", "survives"],
      ["pve-03", "survives"],
    ]);
    expect(json.capacity.cluster.requests).toEqual({ memoryMiB: 5392, milliCpu: 3840 });
  });
});

describe("address table", () => {
  test("is sorted by address, a range before the addresses it contains", () => {
    const rows = addressTable(loadLab());
    const ips = rows.map((r) => r.ip.split(".").map(Number)[3]);
    expect(ips).toEqual([...ips].sort((a, b) => a - b));
    const at60 = rows.filter((r) => r.ip === "192.168.1.60").map((r) => r.path);
    expect(at60).toEqual(["loadBalancer.pool", "loadBalancer.ingressIp"]);
  });

  test("names every address's owner and the config path that sets it", () => {
    expect(recorded(addressTable(loadLab()), "doctor", ["addresses"])).toEqual([
      { ip: "192.168.1.1", owner: "gateway (ISP box)", path: "network.gateway", kind: "host" },
      { ip: "192.168.1.5", owner: "Raspberry Pi rpi-01", path: "raspberryPi.address", kind: "host" },
      { ip: "192.168.1.11", owner: "Proxmox node pve-01", path: "proxmox.nodes[0].address", kind: "host" },
      { ip: "192.168.1.12", owner: "Proxmox node pve-02", path: "proxmox.nodes[1].address", kind: "host" },
      { ip: "192.168.1.13", owner: "Proxmox node pve-03", path: "proxmox.nodes[2].address", kind: "host" },
      { ip: "192.168.1.21", owner: "VM k3s-master-1", path: "k3s.servers[0].address", kind: "host" },
      { ip: "192.168.1.22", owner: "VM k3s-master-2", path: "k3s.servers[1].address", kind: "host" },
      { ip: "192.168.1.23", owner: "VM k3s-master-3", path: "k3s.servers[2].address", kind: "host" },
      { ip: "192.168.1.50", owner: "Kubernetes API VIP (kube-vip)", path: "k3s.apiVip", kind: "vip" },
      { ip: "192.168.1.60", end: "192.168.1.79", owner: "MetalLB pool (20 addresses)", path: "loadBalancer.pool", kind: "range" },
      { ip: "192.168.1.60", owner: "Traefik ingress (MetalLB)", path: "loadBalancer.ingressIp", kind: "service" },
      { ip: "192.168.1.61", owner: "AdGuard Home DNS (MetalLB)", path: "loadBalancer.dnsIp", kind: "service" },
      { ip: "192.168.1.62", owner: "Gitea SSH (MetalLB)", path: "loadBalancer.gitSshIp", kind: "service" },
      { ip: "192.168.1.100", end: "192.168.1.199", owner: "DHCP range of the ISP box (100 addresses)", path: "network.dhcpRange", kind: "range" },
    ]);
  });

  test("a range whose end comes before its start counts 0 addresses, not a negative number", () => {
    // Refused by the rules, still shown by the doctor: that is when the table is read.
    const lab = labSchema.parse(
      labWith({ "loadBalancer.pool": { start: "192.168.1.79", end: "192.168.1.60" }, "network.dhcpRange": { start: "192.168.1.199", end: "192.168.1.100" } }),
    );
    expect(addressTable(lab).find((r) => r.path === "loadBalancer.pool")?.owner).toBe("MetalLB pool (0 addresses)");
    expect(addressTable(lab).find((r) => r.path === "network.dhcpRange")?.owner).toBe("DHCP range of the ISP box (0 addresses)");
  });

  test("every static and service address appears once", () => {
    const rows = addressTable(loadLab()).filter((r) => r.kind !== "range");
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.path)).size).toBe(12);
  });

  test("lists every app URL, each resolving to Traefik, then the API's", () => {
    const lab = loadLab();
    expect(recorded(urlTable(lab), "doctor", ["urls"])).toEqual([
      ...exposedHosts(lab).map((h) => ({ component: h.component, url: h.url, address: "192.168.1.60" })),
      { component: "kubernetes-api", url: "https://k3s.home.arpa:6443", address: "192.168.1.50" },
    ]);
    expect(exposedHosts(lab).map((h) => h.component)).toEqual(["traefik", "longhorn", "gitea", "argocd", "grafana", "ntfy", "vaultwarden", "adguard"]);
  });

  test("URLs resolve to Traefik, the API to the VIP", () => {
    const urls = urlTable(loadLab());
    expect(urls.filter((u) => u.component !== "kubernetes-api").every((u) => u.address === "192.168.1.60")).toBe(true);
    expect(urls.find((u) => u.component === "kubernetes-api")).toEqual({
      component: "kubernetes-api",
      url: "https://k3s.home.arpa:6443",
      address: "192.168.1.50",
    });
  });
});

describe("a lab that fails the rules", () => {
  test("still shows its plan, the n−1 verdict that breaks, and the errors", () => {
    const raw = labWith({
      "k3s.allowServersPerNode": 2,
      "k3s.servers[0].memoryMiB": 8192,
      "k3s.servers[1].proxmoxNode": "pve-01",
      "k3s.servers[1].memoryMiB": 4096,
    });
    const plan = planOf(stringify(raw));
    expect(plan.ok).toBe(false);
    const text = renderPlan(plan);
    expect(text).toContain("Addresses in 192.168.1.0/24");
    expect(text).toMatch(/^ {2}pve-01 +breaks +etcd loses quorum \(1 of 3 members left, 2 needed\)/m);
    expect(text).toContain("error: k3s.servers[0].proxmoxNode, k3s.servers[1].proxmoxNode: if pve-01 goes down");
    expect(text).toMatch(/NOT OK: 1 error, \d+ warnings?\. Fix the errors above; synth refuses this config\.\n$/);
  });

  test("a config the schema refuses shows only the problems", () => {
    const plan = planOf("network: 42\n");
    expect(plan).toMatchObject({ ok: false, lan: null, addresses: [], urls: [], capacity: null, nMinusOne: [] });
    const text = renderPlan(plan);
    for (const heading of ["Addresses", "URLs", "Proxmox nodes", "If one Proxmox node"]) expect(text).not.toContain(heading);
    expect(text).toMatch(/^Problems\n {2}error: /m);
  });

  test("a lab without problems prints no Problems section", () => {
    const raw = labWith({
      "vm.sshPublicKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINf2FaIBmpWPZk4/H0yxFFTimYAAdeY4hGONlEq1TGGh me@laptop"],
      "proxmox.nodes[0].install.mac": "52:54:00:00:00:01",
      "proxmox.nodes[1].install.mac": "52:54:00:00:00:02",
      "proxmox.nodes[2].install.mac": "52:54:00:00:00:03",
      "raspberryPi.offsiteBackup": {
        repository: { type: "s3", endpoint: "https://s3.eu-central-003.backblazeb2.com", bucket: "my-homelab-backups", prefix: "homelab" },
      },
    });
    const text = renderPlan(planOf(stringify(raw)));
    expect(text).not.toContain("Problems");
    expect(text.endsWith("\n\nOK: 0 errors, 0 warnings.\n")).toBe(true);
  });

  test("a one-node lab still gets its n−1 verdict: losing that node stops everything", () => {
    const raw = labWith({
      "proxmox.nodes[2]": undefined,
      "proxmox.nodes[1]": undefined,
      "k3s.servers": [{ name: "k3s-master-1", vmId: 201, address: "192.168.1.21", proxmoxNode: "pve-01", memoryMiB: 12288 }],
      "platform.longhorn.replicaCount": 1,
    });
    const plan = planOf(stringify(raw));
    expect(plan.nMinusOne).toHaveLength(1);
    expect(renderPlan(plan)).toMatch(/^If one Proxmox node goes down \(n−1\)\n {2}pve-01 +breaks +/m);
  });

  test("a node whose loss degrades something says what, in place of the survival summary", () => {
    const text = renderPlan(planOf(stringify(labWith({ "platform.longhorn.replicaCount": 3 }))));
    expect(text).toMatch(/^ {2}pve-01 +degraded +Longhorn volumes run degraded/m);
    expect(text).not.toMatch(/^ {2}pve-01 .*keep etcd quorum/m);
  });
});

describe("bar", () => {
  test.each([
    [0, 10, "[..........]"],
    [5, 10, "[#####.....]"],
    [10, 10, "[##########]"],
    [12, 10, "[##########]!"],
    [1, 0, "[!!!!!!!!!!]"],
    [1, 1, "[##########]"],
  ])("%i of %i: %s", (used, total, expected) => {
    expect(bar(used, total, 10)).toBe(expected);
  });

  // To the nearest cell: floor would draw 89 % as 17 of 20 and 2/3 as 6 of 10, ceil 1 MiB of a
  // whole host as a full cell; neither shows the share a person reads off the bar.
  test.each([
    [1, 3, "[###.......]"],
    [2, 3, "[#######...]"],
    [1, 40, "[..........]"],
    [3, 40, "[#.........]"],
  ])("%i of %i rounds to the nearest cell: %s", (used, total, expected) => {
    expect(bar(used, total, 10)).toBe(expected);
  });

  test("is 20 cells wide unless told otherwise", () => {
    expect(bar(1, 2)).toBe(`[${"#".repeat(10)}${".".repeat(10)}]`);
  });
});

/** The lines of `text` that match `pattern`, in order. */
function lines(text: string, pattern: RegExp): string[] {
  return text.split("\n").filter((line) => pattern.test(line));
}

describe("where each backup goes (issue 16)", () => {
  const { backupPlan } = require("../../config/backups") as typeof import("../../config/backups");
  const { validLab } = require("../helpers") as typeof import("../helpers");
  const withOffsite = validLab(
    labWith({
      "raspberryPi.offsiteBackup": {
        repository: { type: "s3", endpoint: "https://s3.eu-central-003.backblazeb2.com", bucket: "my-homelab-backups", prefix: "homelab" },
      },
    }),
  );

  test("the default lab: copies on the Pi, none off-site, no drill, no checks", () => {
    const plan = backupPlan(loadLab());
    expect(plan.routes.map((r) => [r.what, r.offsite])).toEqual([
      ["etcd snapshots", "none: set raspberryPi.offsiteBackup"],
      ["Longhorn volumes", "none: set raspberryPi.offsiteBackup"],
      ["Terraform state", "none"],
      ["the Pi's services", "none: set raspberryPi.offsiteBackup"],
    ]);
    expect(plan.drill).toMatch(/^none/);
    expect(plan.checks).toEqual([]);
  });

  test("with an off-site bucket: every kind goes there, the state through the Pi's restic repository", () => {
    const plan = backupPlan(withOffsite);
    const label = "s3 s3.eu-central-003.backblazeb2.com/my-homelab-backups/homelab";
    expect(plan.routes.every((r) => r.offsite === label)).toBe(true);
    expect(plan.routes.find((r) => r.what === "Terraform state")?.local).toBe("rpi-01:/var/lib/homelab-backup/terraform-state (restic, each npm run deploy)");
    expect(plan.offsite).toContain('cron "30 4 * * *", forget --prune keeps 7 daily, 4 weekly, 12 monthly');
    expect(plan.drill).toContain("restic check --read-data-subset=5%");
    // The day-two checks name the units a failure leaves failed.
    expect(plan.checks).toContain("ssh pi@192.168.1.5 systemctl --failed");
    expect(plan.checks.join("\n")).toContain("journalctl -u homelab-restore-drill");
  });

  test("Terraform Cloud: the state is pulled from the workspaces and copied like the local one", () => {
    const tfc = validLab(labWith({ terraformCloud: { organization: "my-homelab" }, "raspberryPi.terraformCloudAgent": true, "raspberryPi.offsiteBackup": withOffsite.raspberryPi!.offsiteBackup }));
    const state = backupPlan(tfc).routes.find((r) => r.what === "Terraform state")!;
    expect(state.source).toBe("Terraform Cloud, workspaces homelab-<stack> (every version kept)");
    expect(state.offsite).toContain("s3 ");
  });

  test("the doctor prints the table, the off-site line and the day-two checks", () => {
    const text = renderPlan(buildPlan("lab.yaml", { lab: withOffsite, problems: [] }));
    expect(text).toContain("Backups (where each copy goes)");
    expect(text).toMatch(/Terraform state +terraform\.<stack>\.tfstate on the deploy machine +rpi-01:\/var\/lib\/homelab-backup\/terraform-state/);
    expect(text).toContain("Day two: are the backups working?");
    expect(text).toContain("  ssh pi@192.168.1.5 systemctl --failed");
  });
});

describe("the agents lab's plan (issue 17)", () => {
  const AGENTS_TEXT = readFileSync(join(FIXTURES, "labs", "agents.yaml"), "utf8");
  const plan = planOf(AGENTS_TEXT);
  const text = renderPlan(plan);

  test("passes: n−1 per node with the agents counted", () => {
    expect(plan.ok).toBe(true);
    expect(plan.nMinusOne.map((l) => [l.node, l.verdict])).toEqual([
      ["pve-01", "survives"],
      ["pve-02", "survives"],
      ["pve-03", "survives"],
      ["pve-04", "survives"],
    ]);
    expect(lines(text, /^ {2}pve-0[14] +survives/)).toEqual([
      "  pve-01  survives  loses k3s-master-1; k3s-master-2 + k3s-master-3 keep etcd quorum (2 of 3) and, with the agents, hold every request (5392/32768 MiB, 4320/14750m CPU); Longhorn keeps 2 replicas",
      "  pve-04  survives  loses k3s-agent-1, k3s-agent-2; etcd keeps all 3 members and the other nodes hold every request (5392/28160 MiB, 3840/10500m CPU); Longhorn keeps 2 replicas",
    ]);
  });

  test("hosts list every VM on them; the nodes table gives each one's role, allocatable and DaemonSets", () => {
    expect(lines(text, /^ {2}pve-04 +memory/)).toEqual([
      "  pve-04  memory [#################...] 24576/29696 MiB  vCPU [##########..........] 12/24  k3s-agent-1, k3s-agent-2",
    ]);
    expect(lines(text, /^ {2}k3s-agent-\d +on /)).toEqual([
      "  k3s-agent-1   on pve-04  agent   VM 16384 MiB, 8 cores  allocatable 15360 MiB, 7750m CPU  DaemonSets 800 MiB, 1420m CPU",
      "  k3s-agent-2   on pve-04  agent   VM 8192 MiB, 4 cores   allocatable 7168 MiB, 3750m CPU   DaemonSets 32 MiB, 10m CPU     tainted: DaemonSets only",
    ]);
    expect(text).toContain("Platform requests on the cluster (3 servers, 2 agents; counted on the 4 that take workloads: k3s-master-1, k3s-master-2, k3s-master-3, k3s-agent-1)");
  });

  test("explains where pods run: node classes, Longhorn, the VIP and MetalLB on the agents, HA", () => {
    expect(plan.placement?.nodes.map((n) => [n.name, n.role, n.host, n.platform, n.longhornReplicas, n.network])).toEqual([
      ["k3s-master-1", "server", "pve-01", "all", true, "kube-vip on ens18, MetalLB speaker on ens18"],
      ["k3s-master-2", "server", "pve-02", "all", true, "kube-vip on ens18, MetalLB speaker on ens18"],
      ["k3s-master-3", "server", "pve-03", "all", true, "kube-vip on ens18, MetalLB speaker on ens18"],
      ["k3s-agent-1", "agent", "pve-04", "all", true, "MetalLB speaker on ens18"],
      ["k3s-agent-2", "agent", "pve-04", "DaemonSets only: node-exporter", false, "none"],
    ]);
    expect(plan.placement?.nodes[3].ha).toBe("pinned to pve-04: restarted there, waits for it (local disks)");
    expect(plan.placement?.notes).toEqual([
      "The platform's Deployments and your pods may run on k3s-master-1, k3s-master-2, k3s-master-3, k3s-agent-1 (no NoSchedule/NoExecute taint); DaemonSets run on every node whose taints they tolerate.",
      "The servers take workloads too; set k3s.taintServers: true to keep them for etcd and the API (node-role.kubernetes.io/control-plane:NoSchedule).",
      "Longhorn keeps replicas on k3s-master-1, k3s-master-2, k3s-master-3, k3s-agent-1 (a Longhorn disk, and Longhorn runs there).",
      "kube-vip holds the API VIP 192.168.1.50 on ens18 of one server (control-plane nodes only); agents join through it. MetalLB's speakers answer ARP for 192.168.1.60–192.168.1.79 on ens18 of every node they run on.",
      "On k3s-agent-2 (tainted) only pods that tolerate the taint run; Longhorn tolerates none, so such pods cannot mount Longhorn volumes there.",
      "Every agent is pinned to its node, like the servers: its disks are local. An agent without a Longhorn disk may set failover (disks on proxmox.sharedStorage) to be restarted elsewhere.",
    ]);
    expect(text).toMatch(/^Where pods run \(node classes, as K3s registers them\)\n {2}NODE +ROLE +ON +PLATFORM PODS +LONGHORN +NETWORK +PROXMOX HA$/m);
    expect(text).toContain("  k3s-agent-2: label homelab/pool=batch, taint homelab/pool=batch:NoSchedule");
  });

  test("--json carries the agents: hosts, nodes with roles, placement, the agent addresses", () => {
    const json = JSON.parse(JSON.stringify(plan));
    expect(json.capacity.hosts[3]).toMatchObject({ node: "pve-04", servers: [], agents: ["k3s-agent-1", "k3s-agent-2"] });
    expect(json.capacity.nodes.map((n: { name: string; role: string }) => [n.name, n.role])).toEqual([
      ["k3s-master-1", "server"],
      ["k3s-master-2", "server"],
      ["k3s-master-3", "server"],
      ["k3s-agent-1", "agent"],
      ["k3s-agent-2", "agent"],
    ]);
    expect(json.capacity.agentSystemReserve).toEqual({ memoryMiB: 1024, milliCpu: 250 });
    expect(json.placement.nodes[4].taints).toEqual(["homelab/pool=batch:NoSchedule"]);
    expect(json.addresses).toContainEqual({ ip: "192.168.1.31", owner: "VM k3s-agent-1", path: "k3s.agents[0].address", kind: "host" });
  });

  test("an agent with failover: the plan says where HA restarts it, and the n−1 line too", () => {
    const raw = labWith(
      {
        "proxmox.sharedStorage": ["nfs-vm"],
        "k3s.agents[1].failover": { nodes: ["pve-01"], storage: "nfs-vm" },
        "k3s.agents[1].memoryMiB": 2048,
        "k3s.servers[0].memoryMiB": 11264,
      },
      "agents",
    );
    const moving = planOf(stringify(raw));
    expect(moving.ok).toBe(true);
    expect(moving.placement?.nodes[4].ha).toBe("restarted on pve-01 if pve-04 dies (disks on nfs-vm), back when it returns");
    expect(renderPlan(moving)).toMatch(/^ {2}pve-04 +survives +loses k3s-agent-1; k3s-agent-2 restarts on pve-01 \(Proxmox HA\); etcd keeps all 3 members/m);
    expect(moving.placement?.notes.at(-1)).toBe("Agents k3s-agent-2 may move (k3s.agents[].failover: shared storage, no Longhorn disk); the others are pinned like the servers.");
  });

  test("the Pi as an agent: a row of its own, tainted, no speaker, not a VM", () => {
    const raw = labWith({ "raspberryPi.k3sAgent": true }, "agents");
    const withPi = planOf(stringify(raw));
    expect(withPi.placement?.nodes.at(-1)).toEqual({
      name: "rpi-01",
      role: "agent",
      host: "Raspberry Pi",
      labels: ["homelab/node-class=raspberry-pi"],
      taints: ["homelab/node-class=raspberry-pi:NoExecute"],
      platform: "none",
      longhornReplicas: false,
      network: "no MetalLB speaker (NoExecute taint); its NIC is not vm.interface",
      ha: "not a VM",
    });
  });

  test("tainted servers: the notes say what still runs on them", () => {
    const raw = labWith(
      { "k3s.taintServers": true, "k3s.agents[1].taints": [], "k3s.agents[1].dataDiskGiB": 200, "k3s.agents[1].proxmoxNode": "pve-01", "k3s.servers[0].memoryMiB": 4096 },
      "agents",
    );
    const tainted = planOf(stringify(raw));
    expect(tainted.ok).toBe(true);
    expect(tainted.placement?.nodes.slice(0, 3).map((n) => n.platform)).toEqual(Array(3).fill("DaemonSets only: metallb, alloy, node-exporter"));
    expect(tainted.placement?.notes[1]).toBe(
      "The servers carry node-role.kubernetes.io/control-plane:NoSchedule (k3s.taintServers): etcd and the API keep their CPU and RAM; only kube-vip and the DaemonSets that tolerate it run there.",
    );
  });
});
