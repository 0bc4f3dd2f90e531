/**
 * The provisioned dashboards. PromQL panels are parsed by the Prometheus project's parser and
 * must select only jobs the lab scrapes. LogQL panels over node journals must match what K3s and
 * the kernel really write: K3s logs to stdout, which journald stores at priority "info", so a
 * `level` label filter would always be empty; container OOM kills say "Memory cgroup out of memory".
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { METRICS_DASHBOARDS } from "../dashboards";
import { promqlErrors } from "./support/promql";

const DIR = join(__dirname, "..", "dashboards");

interface Query {
  readonly file: string;
  readonly title: string;
  readonly datasource: string;
  readonly expr: string;
}

function queries(): Query[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(DIR, file), "utf8"));
      return (dashboard.panels ?? []).flatMap((panel: any) =>
        (panel.targets ?? []).map((t: any) => ({
          file,
          title: panel.title as string,
          datasource: (t.datasource ?? panel.datasource)?.uid as string,
          expr: t.expr as string,
        })),
      );
    });
}

const all = queries();
const promql = all.filter((q) => q.datasource === "prometheus");
const logql = all.filter((q) => q.datasource === "loki");

/** Jobs the lab scrapes: the chart's own and the lab's additional ones (scrape-configs.ts). */
const JOBS = [
  "kubelet",
  "node-exporter",
  "kube-state-metrics",
  "etcd",
  "proxmox-cluster",
  "proxmox-nodes",
  "raspberry-pi",
  "api-vip",
  "metallb",
  "cert-manager",
  "traefik",
  "longhorn",
  "argocd",
  "loki",
  "alloy",
];

test("every panel query names its datasource: Loki or Prometheus", () => {
  expect(all.filter((q) => q.datasource !== "prometheus" && q.datasource !== "loki")).toEqual([]);
  expect(promql.length).toBeGreaterThan(50);
});

test("the metrics dashboards are the lab overview, Proxmox hosts, K3s nodes, etcd, Longhorn and Traefik", () => {
  expect(Object.keys(METRICS_DASHBOARDS).sort()).toEqual(["etcd", "k3s-nodes", "lab-overview", "longhorn", "proxmox-hosts", "traefik"]);
  const files = new Set(promql.map((q) => q.file.replace(/\.json$/, "")));
  expect([...files].sort()).toEqual(Object.keys(METRICS_DASHBOARDS).sort());
});

test.each(promql.map((q) => [`${q.file}: ${q.title}`, q] as const))("%s parses as PromQL", (_name, q) => {
  expect(promqlErrors(q.expr)).toEqual([]);
});

test("every PromQL query selects on a job the lab scrapes", () => {
  const unknown = promql.flatMap((q) =>
    [...q.expr.matchAll(/job=~?"([^"]+)"/g)].flatMap((m) => m[1].split("|").filter((j) => !JOBS.includes(j)).map((j) => `${q.file} ${q.title}: ${j}`)),
  );
  expect(unknown).toEqual([]);
});

test("the parser check catches a broken query (a planted missing parenthesis)", () => {
  expect(promqlErrors('sum(rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval]) by (instance)')).not.toEqual([]);
  expect(promqlErrors("up{job=\"etcd\"} ==")).not.toEqual([]);
});

test("uids are unique and prefixed homelab-", () => {
  const uids = readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(DIR, f), "utf8")).uid as string);
  expect(new Set(uids).size).toBe(uids.length);
  for (const uid of uids) expect(uid).toMatch(/^homelab-[a-z0-9-]+$/);
});

test("every Loki panel has a LogQL expression on a stream selector", () => {
  expect(logql.length).toBeGreaterThan(5);
  for (const e of logql) expect([e.file, e.title, /\{[^}]*=/.test(e.expr)]).toEqual([e.file, e.title, true]);
});

test("journal panels filter on the log text, never on the journald level of K3s's stdout", () => {
  for (const e of logql.filter((x) => x.expr.includes('job="node/journal"'))) {
    expect([e.title, /level\s*=~?\s*"/.test(e.expr.split("}")[0])]).toEqual([e.title, false]);
  }
});

test("OOM kills are matched case-insensitively (cgroup OOMs say 'Memory cgroup out of memory')", () => {
  const oom = logql.find((e) => /out of memory/i.test(e.expr));
  expect(oom?.expr).toContain("(?i)out of memory");
});
