import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { exposedHosts } from "../../config/apps";
import { diagnoseYaml } from "../../doctor/diagnose";
import { addressTable, buildPlan, urlTable, type Plan } from "../../doctor/plan";
import { bar, renderPlan } from "../../doctor/render";
import { FIXTURES, labWith, loadLab } from "../helpers";

const DEFAULT_TEXT = readFileSync(join(FIXTURES, "labs", "default.yaml"), "utf8");
const planOf = (text: string): Plan => buildPlan("homelab.yaml", diagnoseYaml(text, "homelab.yaml"));

describe("the default lab's plan", () => {
  const plan = planOf(DEFAULT_TEXT);
  const text = renderPlan(plan);

  test("passes with only the shipped examples' warnings (SSH key, install MACs)", () => {
    expect(plan.ok).toBe(true);
    expect(plan.problems.map((p) => [p.severity, p.path])).toEqual([
      ["warning", "vm.sshPublicKeys[0]"],
      ["warning", "proxmox.nodes[0].install.mac, proxmox.nodes[1].install.mac, proxmox.nodes[2].install.mac"],
      ["warning", "raspberryPi.offsiteBackup"],
    ]);
    expect(text).toContain("OK: 0 errors, 3 warnings.");
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

  test("has no ANSI colors unless asked for", () => {
    expect(text).not.toContain("\u001b[");
    expect(renderPlan(plan, { color: true })).toContain("\u001b[33mwarning\u001b[0m");
  });

  test("is JSON-serializable for --json, with every section", () => {
    const json = JSON.parse(JSON.stringify(plan));
    expect(Object.keys(json)).toEqual(["config", "ok", "lan", "addresses", "urls", "capacity", "nMinusOne", "backups", "problems"]);
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

  test("every static and service address appears once", () => {
    const rows = addressTable(loadLab()).filter((r) => r.kind !== "range");
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.path)).size).toBe(12);
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
    expect(renderPlan(plan)).not.toContain("Addresses");
  });
});

describe("bar", () => {
  test.each([
    [0, 10, "[..........]"],
    [5, 10, "[#####.....]"],
    [10, 10, "[##########]"],
    [12, 10, "[##########]!"],
    [1, 0, "[!!!!!!!!!!]"],
  ])("%i of %i: %s", (used, total, expected) => {
    expect(bar(used, total, 10)).toBe(expected);
  });
});

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
