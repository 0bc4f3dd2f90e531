/**
 * The metrics dashboards (Prometheus datasource), provisioned into Grafana's "Homelab" folder when
 * the metrics stack is on. The log dashboards (cluster-health, logs) are provisioned always.
 * Every PromQL query here is parsed by the Prometheus project's parser in __tests__/dashboards.test.ts.
 */
import etcd from "./etcd.json";
import k3sNodes from "./k3s-nodes.json";
import labOverview from "./lab-overview.json";
import longhorn from "./longhorn.json";
import proxmoxHosts from "./proxmox-hosts.json";
import traefik from "./traefik.json";

/** File name (without .json) to the dashboard model. */
export const METRICS_DASHBOARDS: Readonly<Record<string, object>> = {
  "lab-overview": labOverview,
  "proxmox-hosts": proxmoxHosts,
  "k3s-nodes": k3sNodes,
  etcd,
  longhorn,
  traefik,
};
