/**
 * The K3s nodes' labels and taints, run by the real ansible-playbook on this machine
 * (`npm run ansible:roles`; `npm run test:slow` in .ci/run: too slow for npm test), connection local:
 *   - roles/k3s_node/tasks/node-labels-plan.yml on cases (the kubectl arguments that bring a node
 *     object to homelab.yaml's labels and taints, touching only what the role applied before);
 *   - the agent's and the server's config.yaml templates rendered with the roles' own defaults and
 *     the generated inventory's values, then parsed: what K3s would read.
 * The kubectl steps themselves need a cluster: the runtime converge lists them as not exercised.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { inventoryData } from "../../constructs/ansible/inventory";
import { loadLab } from "../helpers";

const ROOT = join(__dirname, "..", "..");
const ROLES = join(ROOT, "ansible", "roles");
const work = mkdtempSync(join(tmpdir(), "node-labels-"));

interface PlanCase {
  readonly labels: string[];
  readonly taints: string[];
  readonly applied: { labels?: string[]; taints?: string[] };
  readonly node: { metadata: { labels?: Record<string, string> }; spec: { taints?: { key: string; value?: string; effect: string }[] } };
  readonly expected: { labels: string[]; taints: string[] };
}

const UNSCHEDULABLE = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" };

const PLANS: Record<string, PlanCase> = {
  // A new node: K3s applied config.yaml's labels and taints at registration, the role nothing yet.
  registered: {
    labels: ["homelab/pool=batch"],
    taints: ["homelab/pool=batch:NoSchedule"],
    applied: {},
    node: { metadata: { labels: { "kubernetes.io/hostname": "k3s-agent-2", "homelab/pool": "batch" } }, spec: { taints: [{ key: "homelab/pool", value: "batch", effect: "NoSchedule" }] } },
    expected: { labels: [], taints: [] },
  },
  // homelab.yaml changed after registration: a value changed, one label and one taint removed,
  // one taint added; a label put on by hand and Kubernetes' own taint are left alone.
  changed: {
    labels: ["homelab/pool=general", "zone=b"],
    taints: ["dedicated=gpu:NoSchedule", "maintenance:NoExecute"],
    applied: { labels: ["homelab/pool=general", "old=x", "zone=a"], taints: ["dedicated=cpu:NoSchedule", "gone=1:PreferNoSchedule"] },
    node: {
      metadata: { labels: { "kubernetes.io/hostname": "k3s-agent-1", "homelab/pool": "general", old: "x", zone: "a", "by-hand": "y" } },
      spec: { taints: [{ key: "dedicated", value: "cpu", effect: "NoSchedule" }, { key: "gone", value: "1", effect: "PreferNoSchedule" }, UNSCHEDULABLE] },
    },
    expected: { labels: ["zone=b", "old-"], taints: ["dedicated=gpu:NoSchedule", "maintenance:NoExecute", "gone:PreferNoSchedule-"] },
  },
  // Removed from homelab.yaml and already gone from the node (by hand): nothing to remove.
  "already-gone": {
    labels: [],
    taints: [],
    applied: { labels: ["old=x"], taints: ["gone:NoExecute"] },
    node: { metadata: { labels: { "kubernetes.io/hostname": "k3s-agent-1" } }, spec: {} },
    expected: { labels: [], taints: [] },
  },
  // A taint without a value matches the node's; a server's control-plane taint added later.
  "server-taint": {
    labels: ["node.longhorn.io/create-default-disk=true"],
    taints: ["node-role.kubernetes.io/control-plane:NoSchedule"],
    applied: { labels: ["node.longhorn.io/create-default-disk=true"], taints: [] },
    node: { metadata: { labels: { "node.longhorn.io/create-default-disk": "true", "node-role.kubernetes.io/control-plane": "true" } }, spec: {} },
    expected: { labels: [], taints: ["node-role.kubernetes.io/control-plane:NoSchedule"] },
  },
  "same-valueless": {
    labels: [],
    taints: ["maintenance:NoExecute"],
    applied: { taints: ["maintenance:NoExecute"] },
    node: { metadata: {}, spec: { taints: [{ key: "maintenance", effect: "NoExecute" }] } },
    expected: { labels: [], taints: [] },
  },
};

/** A K3s agent as the inventory contract describes it, beside the default lab's servers. */
const inv = inventoryData(loadLab()) as any;
const clusterVars = inv.all.children.k3s_cluster.vars;
const server = Object.entries(inv.all.children.k3s_cluster.children.server.hosts)[0] as [string, Record<string, unknown>];
const AGENTS: Record<string, Record<string, unknown>> = {
  "k3s-agent-1": { k3s_node_ip: "192.168.1.31", k3s_node_labels: ["homelab/pool=batch"], k3s_node_taints: ["homelab/pool=batch:NoSchedule", "maintenance:NoExecute"] },
  "k3s-agent-2": { k3s_node_ip: "192.168.1.32", k3s_node_labels: [], k3s_node_taints: [] },
};

function run(playbook: string, inventory: unknown): { status: number; out: string } {
  const inventoryFile = join(work, `${playbook}.hosts.yaml`);
  writeFileSync(inventoryFile, stringify(inventory));
  const result = spawnSync("ansible-playbook", ["-i", inventoryFile, join(work, playbook)], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ANSIBLE_ROLES_PATH: ROLES, ANSIBLE_NOCOLOR: "1", ANSIBLE_STDOUT_CALLBACK: "default" },
  });
  const out = `${result.stdout}${result.stderr}`;
  if (process.env.HOMELAB_DEBUG === "1") console.log(out);
  return { status: result.status ?? 1, out };
}

const local = { ansible_connection: "local", ansible_python_interpreter: "auto_silent" };

describe("k3s_node node-labels-plan.yml (ansible-playbook, connection local)", () => {
  let result: { status: number; out: string };
  beforeAll(() => {
    writeFileSync(
      join(work, "plan.yml"),
      stringify([
        {
          name: "Plan",
          hosts: "all",
          gather_facts: false,
          tasks: [
            { name: "The role's plan", "ansible.builtin.import_role": { name: "k3s_node", tasks_from: "node-labels-plan" } },
            {
              name: "Write the arguments",
              "ansible.builtin.copy": { content: "{{ {'labels': k3s_node_label_args, 'taints': k3s_node_taint_args} | to_json }}", dest: `${work}/{{ inventory_hostname }}.json`, mode: "0644" },
            },
          ],
        },
      ]),
    );
    const hosts = Object.fromEntries(
      Object.entries(PLANS).map(([name, c]) => [name, { ...local, k3s_node_labels: c.labels, k3s_node_taints: c.taints, k3s_node_applied: c.applied, k3s_node_object: c.node }]),
    );
    result = run("plan.yml", { all: { hosts } });
  });

  test.each(Object.keys(PLANS))("%s", (name) => {
    expect(result.out).toMatch(new RegExp(`^${name}\\s*:.*failed=0`, "m"));
    expect(JSON.parse(readFileSync(join(work, `${name}.json`), "utf8"))).toEqual(PLANS[name].expected);
  });
});

describe("config.yaml of an agent and a server, rendered by Ansible", () => {
  let result: { status: number; out: string };
  const rendered = (host: string) => parse(readFileSync(join(work, `${host}.config.yaml`), "utf8"));

  beforeAll(() => {
    const template = (role: string) => ({
      name: `Render the ${role} config`,
      "ansible.builtin.template": { src: join(ROLES, role, "templates", "config.yaml.j2"), dest: `${work}/{{ inventory_hostname }}.config.yaml`, mode: "0600" },
    });
    const defaults = (role: string) => [join(ROLES, role, "defaults", "main.yml"), join(ROLES, role, "vars", "main.yml")];
    writeFileSync(
      join(work, "render.yml"),
      stringify([
        { name: "Agents", hosts: "agent", gather_facts: false, vars_files: defaults("k3s_agent"), tasks: [template("k3s_agent")] },
        { name: "Servers", hosts: "server", gather_facts: false, vars_files: defaults("k3s_server"), tasks: [template("k3s_server")] },
      ]),
    );
    const serverVars = { ...server[1], ...local, k3s_server_join_ip: "", k3s_node_labels: ["node.longhorn.io/create-default-disk=true"], k3s_node_taints: [] };
    result = run("render.yml", {
      all: {
        vars: { ...inv.all.vars, ...clusterVars, ...local },
        children: {
          agent: { hosts: Object.fromEntries(Object.entries(AGENTS).map(([name, v]) => [name, { ...v, ...local }])) },
          server: { hosts: { [server[0]]: serverVars } },
        },
      },
    });
  });

  test("renders without failure", () => {
    expect(result.status).toBe(0);
  });

  test("the agent joins the API VIP on 6443 with the token file, its own address and the LAN interface", () => {
    const config = rendered("k3s-agent-1");
    expect(config).toMatchObject({
      server: `https://${clusterVars.k3s_api_vip}:6443`,
      "token-file": "/etc/rancher/k3s/token",
      "node-name": "k3s-agent-1",
      "node-ip": "192.168.1.31",
      "flannel-iface": clusterVars.k3s_interface,
    });
    expect(Object.keys(config).filter((k) => /cluster-init|etcd|tls-san|disable|token$/.test(k))).toEqual([]);
  });

  test("labels and taints are lists K3s reads at registration; an agent with none has no such keys", () => {
    expect(rendered("k3s-agent-1")["node-label"]).toEqual(["homelab/pool=batch"]);
    expect(rendered("k3s-agent-1")["node-taint"]).toEqual(["homelab/pool=batch:NoSchedule", "maintenance:NoExecute"]);
    expect(Object.keys(rendered("k3s-agent-2")).sort()).toEqual(["flannel-iface", "node-ip", "node-name", "server", "token-file"]);
  });

  test("a server's config carries its labels too, and keeps its own settings", () => {
    const config = rendered(server[0]);
    expect(config["node-label"]).toEqual(["node.longhorn.io/create-default-disk=true"]);
    expect(config["node-taint"]).toBeUndefined();
    expect(config["cluster-init"]).toBe(true);
    expect(config["tls-san"]).toEqual([clusterVars.k3s_api_vip, clusterVars.k3s_api_fqdn]);
  });
});

test("ansible-playbook is installed (Debian's ansible), so the cases above ran", () => {
  expect(execFileSync("ansible-playbook", ["--version"], { encoding: "utf8" })).toMatch(/^ansible-playbook \[core \d+\.\d+/);
});
