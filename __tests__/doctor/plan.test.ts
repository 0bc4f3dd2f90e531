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
    ]);
    expect(text).toContain("OK: 0 errors, 2 warnings.");
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
    expect(Object.keys(json)).toEqual(["config", "ok", "lan", "addresses", "urls", "capacity", "nMinusOne", "problems"]);
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
