import { APP_METRICS, scrapeConfigs } from "../../../constructs/platform/scrape-configs";
import { loadLab } from "../../helpers";

const lab = loadLab();
const input = {
  servers: lab.k3s.servers,
  proxmox: { exporterAddress: "pve-exporter.observability.svc.cluster.local:9221", nodes: lab.proxmox.nodes },
  raspberryPi: { name: "rpi-01", address: "192.168.1.5", apiProbeUrl: "https://192.168.1.50:6443/readyz" },
  pods: [
    { ...APP_METRICS.traefik, namespace: "traefik" },
    { ...APP_METRICS.metallb, namespace: "metallb-system" },
  ],
};
const jobs = Object.fromEntries(scrapeConfigs(input).map((j) => [j.job_name, j as any]));

describe("scrapeConfigs", () => {
  test("etcd on every server's port 2381, keeping etcd's own series only", () => {
    expect(jobs.etcd.static_configs.map((s: any) => s.targets[0])).toEqual(["192.168.1.21:2381", "192.168.1.22:2381", "192.168.1.23:2381"]);
    expect(jobs.etcd.metric_relabel_configs[0]).toMatchObject({ action: "keep", regex: expect.stringContaining("etcd_(server|disk") });
  });

  test("Proxmox: cluster metrics once through the first node, node metrics per node, via the exporter", () => {
    expect(jobs["proxmox-cluster"]).toMatchObject({ metrics_path: "/pve", params: { cluster: ["1"], node: ["0"] }, static_configs: [{ targets: ["192.168.1.11"] }] });
    expect(jobs["proxmox-nodes"].params).toEqual({ cluster: ["0"], node: ["1"] });
    expect(jobs["proxmox-nodes"].static_configs).toEqual([
      { targets: ["192.168.1.11"], labels: { node: "pve-01" } },
      { targets: ["192.168.1.12"], labels: { node: "pve-02" } },
      { targets: ["192.168.1.13"], labels: { node: "pve-03" } },
    ]);
    expect(jobs["proxmox-nodes"].relabel_configs.at(-1)).toEqual({ target_label: "__address__", replacement: input.proxmox.exporterAddress });
  });

  test("the Pi's node exporter and the API VIP probed through its blackbox exporter", () => {
    expect(jobs["raspberry-pi"].static_configs).toEqual([{ targets: ["192.168.1.5:9100"], labels: { instance: "rpi-01" } }]);
    expect(jobs["api-vip"]).toMatchObject({ metrics_path: "/probe", params: { module: ["k8s_api"] } });
    expect(jobs["api-vip"].relabel_configs.at(-1).replacement).toBe("192.168.1.5:9115");
  });

  test("apps' pods through Kubernetes discovery in their namespace, only their metrics ports", () => {
    expect(jobs.traefik.kubernetes_sd_configs).toEqual([{ role: "pod", namespaces: { names: ["traefik"] } }]);
    expect(jobs.traefik.relabel_configs[0]).toEqual({ source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: "9100", action: "keep" });
    expect(jobs.traefik.honor_labels).toBe(true);
    expect(jobs.metallb).toMatchObject({ scheme: "https", authorization: { credentials_file: expect.stringContaining("serviceaccount/token") } });
  });

  test("without a Pi, no Pi jobs", () => {
    const { raspberryPi: _pi, ...rest } = input;
    expect(scrapeConfigs(rest).map((j) => j.job_name)).not.toContain("raspberry-pi");
  });

  test("fails when a job name repeats or a port is not a port", () => {
    expect(() => scrapeConfigs({ ...input, pods: [{ job: "etcd", namespace: "x", ports: [1] }] })).toThrow('"etcd" is defined twice');
    expect(() => scrapeConfigs({ ...input, pods: [{ job: "x", namespace: "x", ports: [70000] }] })).toThrow("must be TCP ports");
  });
});
