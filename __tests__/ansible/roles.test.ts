/**
 * The Ansible side of the inventory contract and the K3s config, checked without Ansible: the
 * roles read only variables the generated inventory provides, the K3s config template keeps
 * cluster-init to the first server, and every task that needs a live machine carries its tag:
 * needs_runtime (a booted machine), needs_kernel and needs_cluster (what the runtime converge's
 * containers cannot do, so it skips and lists them). The runtime converge
 * (__tests__/ansible/runtime/) applies the roles to booted containers and asserts the result.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { inventoryData } from "../../constructs/ansible/inventory";
import { LONGHORN_DISK_SERIAL } from "../../constructs/proxmox/k3s-node-vm";
import { loadLab } from "../helpers";

const ANSIBLE = join(__dirname, "..", "..", "ansible");
const read = (path: string) => readFileSync(join(ANSIBLE, path), "utf8");
const yamlOf = (path: string) => parse(read(path));

function filesUnder(dir: string): string[] {
  return readdirSync(join(ANSIBLE, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    return statSync(join(ANSIBLE, rel)).isDirectory() ? filesUnder(rel) : [rel];
  });
}

/** Every task (blocks flattened) of every task and handler file, with the file it is in. */
function allTasks(): { file: string; task: Record<string, any> }[] {
  const files = [...filesUnder("roles"), ...filesUnder("playbooks")].filter(
    (f) => /\/(tasks|handlers)\/[^/]+\.yml$/.test(f) || f.startsWith("playbooks/"),
  );
  const out: { file: string; task: Record<string, any> }[] = [];
  const walk = (file: string, items: unknown, inherited: string[]) => {
    if (!Array.isArray(items)) return;
    for (const item of items as Record<string, any>[]) {
      const tags = [...inherited, ...(item.tags ?? [])];
      if (item.block) walk(file, item.block, tags);
      else if ("hosts" in item || "ansible.builtin.import_playbook" in item) {
        for (const key of ["pre_tasks", "tasks", "post_tasks", "handlers"]) walk(file, item[key], tags);
      } else out.push({ file, task: { ...item, tags } });
    }
  };
  for (const file of files) walk(file, yamlOf(file), []);
  return out;
}

const TEMPLATE = read("roles/k3s_server/templates/config.yaml.j2");

describe("K3s config template", () => {
  const firstBranch = TEMPLATE.slice(TEMPLATE.indexOf("{% if k3s_server_join_ip | length == 0 %}"), TEMPLATE.indexOf("{% else %}"));
  const joinBranch = TEMPLATE.slice(TEMPLATE.indexOf("{% else %}"), TEMPLATE.indexOf("{% endif %}"));
  const shared = TEMPLATE.slice(TEMPLATE.indexOf("{% endif %}"));

  test("cluster-init only on the first server; the others join the first server's address", () => {
    expect(firstBranch).toContain("{% if k3s_server_join_ip | length == 0 %}");
    expect(firstBranch).toMatch(/^cluster-init: true$/m);
    expect(firstBranch).not.toMatch(/^server:/m);
    expect(joinBranch).toMatch(/^server: "https:\/\/\{\{ k3s_server_join_ip \}\}:6443"$/m);
    expect(joinBranch).not.toMatch(/cluster-init/);
    expect(TEMPLATE.match(/cluster-init/g)).toHaveLength(1);
  });

  test("a first server with no etcd data of its own joins a peer that answers on 6443 (a rebuilt first server)", () => {
    const main = yamlOf("roles/k3s_server/tasks/main.yml");
    const names = main.map((t: any) => t.name);
    const probe = main.find((t: any) => t.name === "Probe the other servers' API port");
    expect(probe.when).toBe("k3s_first_server | bool and k3s_server_config_current.content is not defined");
    expect(probe.tags).toEqual(["needs_runtime"]);
    const choose = main.find((t: any) => t.name.startsWith("Choose the server to join"));
    expect(choose["ansible.builtin.set_fact"].k3s_server_join_ip).toContain("k3s_first_server_ip if not (k3s_first_server | bool)");
    // The decision is made before the config is rendered.
    expect(names.indexOf("Write the K3s config")).toBeGreaterThan(names.indexOf(choose.name));
  });

  test("a server with etcd data keeps the choice its config records: server: stays, cluster-init only where it was (k3s-io/k3s#13623)", () => {
    const main = yamlOf("roles/k3s_server/tasks/main.yml");
    const names: string[] = main.map((t: any) => t.name);
    const read = main.find((t: any) => t.name === "Read the K3s config this server started with");
    expect(read["ansible.builtin.slurp"].src).toBe("{{ k3s_server_config_dir }}/config.yaml");
    expect(read.when).toBe("k3s_server_local_etcd.stat.exists and k3s_server_config_file.stat.exists");
    const choose = main.find((t: any) => t.name.startsWith("Choose the server to join"));
    const expression: string = choose["ansible.builtin.set_fact"].k3s_server_join_ip;
    // With a config read, the join address is the one it names (none: it created the cluster);
    // the peer probe decides only without one.
    expect(expression).toMatch(
      /\(k3s_server_started_with\.server \| default\(''\) \| ansible\.builtin\.urlsplit\('hostname'\) \| default\('', true\)\)\s+if k3s_server_config_current\.content is defined else\s+\(k3s_server_peer_probe/,
    );
    expect(choose.vars.k3s_server_started_with).toBe("{{ k3s_server_config_current.content | default('e30=') | b64decode | from_yaml }}");
    expect(Buffer.from("e30=", "base64").toString()).toBe("{}");
    expect(names.indexOf("Look for this server's own etcd data")).toBeLessThan(names.indexOf(read.name));
    expect(names.indexOf(read.name)).toBeLessThan(names.indexOf("Probe the other servers' API port"));
  });

  test("every server: tls-san with the VIP and its name, node-ip, flannel interface, snapshots, encryption", () => {
    expect(shared).toMatch(/^tls-san:\n {2}- "\{\{ k3s_api_vip \}\}"\n {2}- "\{\{ k3s_api_fqdn \}\}"$/m);
    expect(shared).toMatch(/^node-ip: "\{\{ k3s_node_ip \}\}"$/m);
    expect(shared).toMatch(/^flannel-iface: "\{\{ k3s_interface \}\}"$/m);
    expect(shared).toMatch(/^etcd-snapshot-schedule-cron: "\{\{ k3s_etcd_snapshot_cron \}\}"$/m);
    expect(shared).toMatch(/^etcd-snapshot-retention: \{\{ k3s_etcd_snapshot_retention \| int \}\}$/m);
    expect(shared).toMatch(/^secrets-encryption: true$/m);
    expect(shared).toMatch(/^write-kubeconfig-mode: "0600"$/m);
    expect(shared).toMatch(/^disable:\n\{% for component in k3s_server_disable %\}/m);
  });

  test("servicelb, the bundled Traefik and local-path are disabled (MetalLB, our Traefik release and Longhorn own those jobs)", () => {
    expect(yamlOf("roles/k3s_server/defaults/main.yml").k3s_server_disable).toEqual(["servicelb", "traefik", "local-storage"]);
  });

  test("the token reaches K3s through a root-only file, never the config", () => {
    expect(TEMPLATE).toMatch(/^token-file: "\{\{ k3s_server_token_file \}\}"$/m);
    expect(TEMPLATE).not.toMatch(/^token:/m);
    expect(TEMPLATE).not.toMatch(/k3s_server_token\b(?!_file)/);
    const write = allTasks().find((t) => t.task.name === "Write the join token file")!.task;
    expect(write["ansible.builtin.copy"].mode).toBe("0600");
    expect(write.no_log).toBe(true);
  });

  test("the token comes from the K3S_TOKEN environment variable only", () => {
    expect(yamlOf("roles/k3s_server/defaults/main.yml").k3s_server_token).toBe("{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}");
  });
});

describe("inventory contract", () => {
  const inv = inventoryData(loadLab()) as any;
  const cluster = inv.all.children.k3s_cluster;

  test("every variable the k3s_server role requires is set for every server by the inventory", () => {
    const required: string[] = yamlOf("roles/k3s_server/vars/main.yml").k3s_server_required_vars;
    expect(required.length).toBeGreaterThan(5);
    for (const [host, hostVars] of Object.entries(cluster.children.server.hosts)) {
      const vars = { ...inv.all.vars, ...cluster.vars, ...(hostVars as object) };
      expect({ host, missing: required.filter((v) => !(v in vars)) }).toEqual({ host, missing: [] });
    }
  });

  describe("with agents (the agents lab fixture)", () => {
    const withAgents = inventoryData(loadLab("agents")) as any;
    const k3s = withAgents.all.children.k3s_cluster;
    const agents = Object.entries(k3s.children.agent.hosts) as [string, Record<string, any>][];

    test("every variable the k3s_agent role requires is set for every agent by the inventory", () => {
      const required: string[] = yamlOf("roles/k3s_agent/vars/main.yml").k3s_agent_required_vars;
      expect(agents.length).toBe(2);
      for (const [host, hostVars] of agents) {
        const vars = { ...withAgents.all.vars, ...k3s.vars, ...hostVars };
        expect({ host, missing: required.filter((v) => !(v in vars)) }).toEqual({ host, missing: [] });
      }
    });

    test("every K3s node has the labels, taints and Longhorn disk flag the roles read, in the forms they accept", () => {
      const label = /^[^=:\s]+=[^=:\s]*$/;
      const taint = /^[^=:\s]+(=[^=:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;
      const nodes = [...Object.entries(k3s.children.server.hosts), ...agents] as [string, Record<string, any>][];
      for (const [host, v] of nodes) {
        expect({ host, labels: v.k3s_node_labels.every((l: string) => label.test(l)), taints: v.k3s_node_taints.every((t: string) => taint.test(t)), disk: typeof v.k3s_longhorn_disk })
          .toEqual({ host, labels: true, taints: true, disk: "boolean" });
      }
      // The check task's patterns are these (the role refuses what the config would).
      const check = read("roles/k3s_node/tasks/node-labels-check.yml");
      expect(check).toContain("reject('regex', '^[^=:\\s]+=[^=:\\s]*$')");
      expect(yamlOf("roles/k3s_node/vars/main.yml").k3s_node_taint_effects).toEqual(["NoSchedule", "PreferNoSchedule", "NoExecute"]);
      expect(agents.find(([name]) => name === "k3s-agent-2")![1]).toMatchObject({ k3s_longhorn_disk: false, k3s_node_taints: ["homelab/pool=batch:NoSchedule"] });
    });
  });

  test("the kube_vip templates read only inventory variables or their own defaults", () => {
    const vars = new Set([...Object.keys(inv.all.vars), ...Object.keys(cluster.vars), "k3s_node_ip", "k3s_first_server"]);
    for (const role of ["kube_vip"]) {
      const defaults = Object.keys(yamlOf(`roles/${role}/defaults/main.yml`));
      const text = filesUnder(`roles/${role}`).map(read).join("\n");
      const used = [...text.matchAll(/\b((?:k3s|kube_vip)_[a-z_]+)\b/g)].map((m) => m[1]);
      const unknown = [...new Set(used)].filter((v) => !vars.has(v) && !defaults.includes(v));
      expect({ role, unknown }).toEqual({ role, unknown: [] });
    }
  });

  test("site.yml fetches no kubeconfig: it waits for the API on the VIP, and the CA files are written before K3s can start", () => {
    const plays = yamlOf("playbooks/site.yml");
    expect(JSON.stringify(plays)).not.toMatch(/kubeconfig|fetch|slurp/);
    const vip = plays.find((p: any) => p.name === "API on the VIP");
    expect(vip.tasks[0]["ansible.builtin.wait_for"].host).toBe("{{ k3s_api_vip }}");
    const names = yamlOf("roles/k3s_server/tasks/main.yml").map((t: any) => t.name ?? t["ansible.builtin.import_tasks"]);
    const caAt = names.indexOf("Bring the cluster's CAs from the k3s stack");
    expect(caAt).toBeGreaterThan(names.findIndex((n: string) => n.startsWith("Choose the server to join")));
    for (const later of ["Write the K3s config", "Apply pending restarts", "Start K3s"]) expect(names.indexOf(later)).toBeGreaterThan(caAt);
  });

  test("site.yml ends with the off-node backups playbook", () => {
    const plays = yamlOf("playbooks/site.yml");
    expect(plays[plays.length - 1]).toEqual({ name: "Off-node backups", "ansible.builtin.import_playbook": "backups.yml" });
  });
});

describe("kube-vip manifest template", () => {
  const manifest = read("roles/kube_vip/templates/kube-vip.yaml.j2");
  test("pins the image to kube_vip_version, control plane on, services off, ARP with leader election", () => {
    expect(manifest).toContain('image: "{{ kube_vip_image }}:{{ kube_vip_version }}"');
    for (const [name, value] of [
      ["cp_enable", '"true"'],
      ["svc_enable", '"false"'],
      ["vip_arp", '"true"'],
      ["vip_leaderelection", '"true"'],
      ["vip_subnet", '"32"'],
      ["address", '"{{ k3s_api_vip }}"'],
    ]) {
      expect(manifest).toMatch(new RegExp(`- name: ${name}\\n\\s+value: ${value.replace(/[{}|]/g, "\\$&")}\\n`));
    }
  });
});

/** A role task file's tasks, by name. */
const taskNamed = (path: string, name: string) => {
  const task = (yamlOf(path) as Record<string, any>[]).find((t) => t.name === name);
  if (!task) throw new Error(`${path} has no task named "${name}"`);
  return task;
};

describe("K3s agent role", () => {
  const config = read("roles/k3s_agent/templates/config.yaml.j2");
  const defaults = yamlOf("roles/k3s_agent/defaults/main.yml");
  const vars = yamlOf("roles/k3s_agent/vars/main.yml");
  const main = "roles/k3s_agent/tasks/main.yml";

  test("joins through the API VIP on 6443, never through one server's own address", () => {
    expect(config).toMatch(/^server: "\{\{ k3s_agent_server_url \}\}"$/m);
    expect(defaults.k3s_agent_server_url).toBe("https://{{ k3s_api_vip }}:6443");
    expect(config).not.toMatch(/k3s_first_server_ip|k3s_server_join_ip/);
    expect(config.match(/^server:/gm)).toHaveLength(1);
  });

  test("carries no server setting: no cluster-init, etcd, tls-san, disabled components or secrets encryption", () => {
    for (const key of ["cluster-init", "etcd-", "tls-san", "disable", "secrets-encryption", "write-kubeconfig-mode"]) {
      expect({ key, present: new RegExp(`^${key}`, "m").test(config) }).toEqual({ key, present: false });
    }
  });

  test("the node's own settings as on the servers: name, address, flannel interface, token file", () => {
    expect(config).toMatch(/^node-name: "\{\{ inventory_hostname \}\}"$/m);
    expect(config).toMatch(/^node-ip: "\{\{ k3s_node_ip \}\}"$/m);
    expect(config).toMatch(/^flannel-iface: "\{\{ k3s_interface \}\}"$/m);
    expect(config).toMatch(/^token-file: "\{\{ k3s_agent_token_file \}\}"$/m);
    expect(vars.k3s_agent_token_file).toBe(yamlOf("roles/k3s_server/vars/main.yml").k3s_server_token_file);
    expect(vars.k3s_agent_required_vars).toEqual(["k3s_version", "k3s_api_vip", "k3s_interface", "k3s_node_ip"]);
  });

  test("labels and taints from the inventory's k3s_node_labels and k3s_node_taints, as lists, only when there are some", () => {
    for (const [key, variable, item] of [["node-label", "labels", "label"], ["node-taint", "taints", "taint"]]) {
      expect(config).toContain(`{% set ${variable} = k3s_node_${variable} | default([]) %}`);
      expect(config).toContain(`{% if ${variable} | length > 0 %}`);
      expect(config).toMatch(new RegExp(`^${key}:\\n\\{% for ${item} in ${variable} %\\}\\n {2}- "\\{\\{ ${item} \\}\\}"\\n\\{% endfor %\\}$`, "m"));
    }
  });

  test("the token comes from K3S_TOKEN only and reaches K3s through a root-only file", () => {
    expect(defaults.k3s_agent_token).toBe("{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}");
    expect(config).not.toMatch(/^token:/m);
    const write = taskNamed(main, "Write the join token file");
    expect(write["ansible.builtin.copy"]).toMatchObject({ content: "{{ k3s_agent_token }}", dest: "{{ k3s_agent_token_file }}", mode: "0600" });
    expect(write.no_log).toBe(true);
    expect(taskNamed(main, "Check the join token from the environment")["ansible.builtin.assert"].that).toBe("k3s_agent_token is regex('^[A-Za-z0-9]{32,}$')");
  });

  test("the binary is the servers': the same k3s_node task file, on a new agent only, and no release URL or version of its own", () => {
    const install = taskNamed(main, "Install the K3s binary on a new agent");
    expect(install["ansible.builtin.import_role"]).toEqual({ name: "k3s_node", tasks_from: "binary.yml" });
    expect(install.vars).toEqual({ k3s_node_bin: "{{ k3s_agent_bin }}" });
    expect(install.when).toBe("not k3s_agent_installed.stat.exists");
    // Imported, not included: the runtime converge lists a static task it skips by tag as not
    // exercised; the tasks of a dynamic include would vanish from that list.
    const k3sNodeSteps = [...yamlOf(main), ...yamlOf("roles/k3s_server/tasks/main.yml")].filter((t: any) => JSON.stringify(t).includes('"k3s_node"'));
    expect(k3sNodeSteps.length).toBe(8);
    for (const step of k3sNodeSteps) expect({ name: step.name, imported: "ansible.builtin.import_role" in step }).toEqual({ name: step.name, imported: true });
    const server = taskNamed("roles/k3s_server/tasks/main.yml", "Install the K3s binary on a new server");
    expect(server["ansible.builtin.import_role"]).toEqual(install["ansible.builtin.import_role"]);
    expect(filesUnder("roles/k3s_agent").map(read).join("\n")).not.toMatch(/github\.com|releases\/download|get_url|sha256/);
    expect(Object.keys(defaults).filter((k) => /version|release|checksum/.test(k))).toEqual([]);
  });

  test("a unit of its own, k3s-agent, started with a time limit (Type=notify: started means joined)", () => {
    expect(vars.k3s_agent_unit).toBe("k3s-agent.service");
    const start = taskNamed(main, "Start the K3s agent");
    expect(start["ansible.builtin.systemd_service"]).toEqual({ name: "{{ k3s_agent_unit }}", state: "started", daemon_reload: true });
    expect(start.timeout).toBe("{{ k3s_agent_start_timeout_s }}");
    expect(defaults.k3s_agent_start_timeout_s).toBe(300);
  });

  test("the restart handler restarts only an agent that was running, one at a time, and never in a chroot", () => {
    const [handler] = yamlOf("roles/k3s_agent/handlers/main.yml");
    expect(handler["ansible.builtin.systemd_service"]).toEqual({ name: "{{ k3s_agent_unit }}", state: "restarted", daemon_reload: true });
    expect(handler.throttle).toBe(1);
    expect(handler.when).toEqual(["not ansible_facts['is_chroot']", "(k3s_agent_unit_before.status.ActiveState | default('')) == 'active'"]);
    const names: string[] = yamlOf(main).map((t: any) => t.name);
    // The state is read before anything that notifies the handler.
    expect(names.indexOf("Read the state of the K3s agent unit")).toBeLessThan(names.indexOf("Write the join token file"));
    for (const name of ["Write the join token file", "Write the K3s agent config", "Install the K3s agent systemd unit"]) {
      expect({ name, notify: taskNamed(main, name).notify }).toEqual({ name, notify: "Restart k3s-agent" });
    }
  });

  test("its kubectl steps (Ready, labels and taints) run on a server: an agent has no admin kubeconfig", () => {
    expect(defaults.k3s_agent_kubectl_host).toBe("{{ groups['server'] | first }}");
    for (const name of ["Wait for the node to be Ready", "Bring the node object's labels and taints to homelab.yaml's"]) {
      expect({ name, vars: taskNamed(main, name).vars }).toEqual({
        name,
        vars: { k3s_node_kubectl_host: "{{ k3s_agent_kubectl_host }}", k3s_node_kubectl: "{{ k3s_agent_kubectl_bin }} kubectl" },
      });
    }
  });
});

describe("what servers and agents share (k3s_node)", () => {
  const defaults = yamlOf("roles/k3s_node/defaults/main.yml");

  test("every kubectl step runs on k3s_node_kubectl_host, which is the node itself unless an agent names a server", () => {
    expect(defaults.k3s_node_kubectl_host).toBe("{{ inventory_hostname }}");
    const kubectl = allTasks().filter(({ file, task }) => file.startsWith("roles/k3s_node/") && /k3s_node_kubectl\b/.test(JSON.stringify(task)));
    expect(kubectl.length).toBeGreaterThan(6);
    for (const { file, task } of kubectl) expect({ file, name: task.name, on: task.delegate_to }).toEqual({ file, name: task.name, on: "{{ k3s_node_kubectl_host }}" });
  });

  test("one upgrade for every node: drain, binary, restart of the node's unit, Ready, version check, uncordon, in that order", () => {
    const [read, block] = yamlOf("roles/k3s_node/tasks/upgrade.yml");
    expect(read["ansible.builtin.command"]).toBe("{{ k3s_node_bin }} --version");
    expect(block.when).toBe("k3s_version not in k3s_node_installed.stdout");
    expect(block.block.map((t: any) => t.name)).toEqual([
      "Drain the node",
      "Replace the K3s binary",
      "Restart K3s on the new binary",
      "Wait for the upgraded node to be Ready",
      "Read the version now running",
      "Check that the node runs the pinned version",
      "Uncordon the node",
    ]);
    expect(block.block[0]["ansible.builtin.command"]).toContain("--pod-selector '{{ k3s_node_drain_pod_selector }}'");
    expect(defaults.k3s_node_drain_pod_selector).toBe("longhorn.io/component!=instance-manager");
    expect(block.block[2]["ansible.builtin.systemd_service"]).toEqual({ name: "{{ k3s_node_service }}", state: "restarted", daemon_reload: true });
  });

  test("the server and the agent upgrade through it, each with its own unit and kubectl host", () => {
    const [server] = yamlOf("roles/k3s_server/tasks/upgrade.yml");
    const [agent] = yamlOf("roles/k3s_agent/tasks/upgrade.yml");
    for (const task of [server, agent]) expect(task["ansible.builtin.import_role"]).toEqual({ name: "k3s_node", tasks_from: "upgrade.yml" });
    expect(server.vars).toEqual({
      k3s_node_bin: "{{ k3s_server_bin }}",
      k3s_node_service: "k3s.service",
      k3s_node_kubectl: "{{ k3s_server_bin }} kubectl",
      k3s_node_kubectl_host: "{{ inventory_hostname }}",
    });
    expect(agent.vars).toEqual({
      k3s_node_bin: "{{ k3s_agent_bin }}",
      k3s_node_service: "{{ k3s_agent_unit }}",
      k3s_node_kubectl: "{{ k3s_agent_kubectl_bin }} kubectl",
      k3s_node_kubectl_host: "{{ k3s_agent_kubectl_host }}",
    });
  });

  test("the servers' config carries their labels and taints too, and both roles check them and bring the node object to them", () => {
    expect(TEMPLATE).toContain("{% set labels = k3s_node_labels | default([]) %}");
    expect(TEMPLATE).toMatch(/^node-taint:\n\{% for taint in taints %\}/m);
    for (const role of ["k3s_server", "k3s_agent"]) {
      const names: string[] = yamlOf(`roles/${role}/tasks/main.yml`).map((t: any) => t.name);
      const check = names.indexOf("Check the node's labels and taints");
      expect({ role, check: check >= 0 && check < names.findIndex((n) => /^Write the K3s( agent)? config$/.test(n)) }).toEqual({ role, check: true });
      expect({ role, last: names[names.length - 1] }).toEqual({ role, last: "Bring the node object's labels and taints to homelab.yaml's" });
    }
  });

  test("the record of what was applied is written only after the node object matches it", () => {
    const names: string[] = yamlOf("roles/k3s_node/tasks/node-labels.yml").map((t: any) => t.name);
    expect(names.slice(-3)).toEqual(["Set and remove the node's labels", "Set and remove the node's taints", "Record the labels and taints applied"]);
    expect(defaults.k3s_node_applied_labels_file).toBe("/etc/rancher/k3s/homelab-node-labels-taints.json");
    expect(defaults.k3s_node_labels).toEqual([]);
    expect(defaults.k3s_node_taints).toEqual([]);
  });

  test("release asset and checksum list per CPU: amd64 VMs, arm64 and armhf Pi agents", () => {
    const internal = yamlOf("roles/k3s_node/vars/main.yml");
    expect(internal.k3s_node_arch).toBe("{{ {'x86_64': 'amd64', 'aarch64': 'arm64', 'armv7l': 'arm'}[ansible_facts['architecture']] }}");
    expect(internal.k3s_node_asset).toBe("{{ {'amd64': 'k3s', 'arm64': 'k3s-arm64', 'arm': 'k3s-armhf'}[k3s_node_arch] }}");
    expect(internal.k3s_node_release).toBe("{{ k3s_node_release_url }}/{{ k3s_version | urlencode }}");
  });
});

describe("playbook order: servers, then agents", () => {
  const site = yamlOf("playbooks/site.yml");
  const agents = yamlOf("playbooks/agents.yml");

  test("site.yml imports agents.yml after the joining servers and the VIP check, before the backups", () => {
    const names = site.map((p: any) => p.name);
    const at = names.indexOf("K3s agents");
    expect(site[at]).toEqual({ name: "K3s agents", "ansible.builtin.import_playbook": "agents.yml" });
    expect(at).toBeGreaterThan(names.indexOf("Joining K3s servers"));
    expect(at).toBe(names.indexOf("API on the VIP") + 1);
    expect(names[at + 1]).toBe("Off-node backups");
    // The servers' own plays stay on the servers.
    expect(site.slice(0, at).map((p: any) => p.hosts)).toEqual(["server", "server", "server", "k3s_init", "k3s_join", "k3s_init"]);
  });

  test("agents.yml: first boot, prerequisites (node_prereqs, as the servers), the VIP answering, then k3s_agent, all on the agent group", () => {
    expect(agents.map((p: any) => p.hosts)).toEqual(["agent", "agent", "agent"]);
    expect(agents[0].tasks[1]).toEqual({ name: "Wait for the first boot", "ansible.builtin.import_tasks": "tasks/first-boot.yml" });
    expect(site[0].tasks[1]).toEqual(agents[0].tasks[1]);
    expect(agents[1].roles).toEqual(["node_prereqs"]);
    expect(agents[2].roles).toEqual(["k3s_agent"]);
    expect(agents[2].pre_tasks[0]["ansible.builtin.wait_for"]).toEqual({ host: "{{ k3s_api_vip }}", port: 6443, timeout: 300 });
    expect(agents[2].pre_tasks[0].delegate_to).toBe("localhost");
  });

  test("a Pi agent is not waited for cloud-init (it has none)", () => {
    const wait = taskNamed("playbooks/tasks/first-boot.yml", "Wait for cloud-init to finish");
    expect(wait.when).toBe("'raspberry_pi' not in group_names");
  });

  test("upgrade.yml: the etcd snapshot, the servers one at a time, then the agents one at a time", () => {
    const upgrade = yamlOf("playbooks/upgrade.yml");
    expect(upgrade.map((p: any) => [p.hosts, p.serial])).toEqual([["server", undefined], ["server", 1], ["agent", 1]]);
    expect(upgrade[1].tasks.map((t: any) => t["ansible.builtin.include_role"])).toEqual([{ name: "k3s_server", tasks_from: "upgrade.yml" }]);
    expect(upgrade[2].tasks.map((t: any) => t["ansible.builtin.include_role"])).toEqual([{ name: "k3s_agent", tasks_from: "upgrade.yml" }]);
  });

  test("reset.yml: servers and agents, both K3s units stopped and removed, the VIP released on servers only", () => {
    const [reset] = yamlOf("playbooks/reset.yml");
    expect(reset.hosts).toBe("k3s_cluster");
    expect(reset.vars.reset_units).toEqual(["k3s.service", "k3s-agent.service"]);
    const task = (name: string) => reset.tasks.find((t: any) => t.name === name);
    expect(task("Stop and disable K3s").loop).toBe("{{ reset_units }}");
    expect(task("Remove the API VIP from the interface").when).toBe("inventory_hostname in groups['server']");
    expect(task("Remove the K3s units and binary").loop).toBe("{{ reset_units | map('regex_replace', '^', '/etc/systemd/system/') | list + ['/usr/local/bin/k3s'] }}");
    expect(task("Delete the K3s state")["ansible.builtin.file"].state).toBe("absent");
  });

  test("the Longhorn disk is prepared only on nodes the inventory says have one", () => {
    const include = yamlOf("roles/node_prereqs/tasks/main.yml").find((t: any) => t["ansible.builtin.import_tasks"] === "longhorn-disk.yml");
    expect(include.when).toBe("node_prereqs_longhorn_disk_attached | bool");
    expect(yamlOf("roles/node_prereqs/defaults/main.yml").node_prereqs_longhorn_disk_attached).toBe("{{ k3s_longhorn_disk | default(true) }}");
  });
});

describe("tasks", () => {
  const tasks = allTasks();
  const MODULE_KEYS = (t: Record<string, any>) => Object.keys(t).filter((k) => /^[a-z_]+\.[a-z_]+\.[a-z_]+$/.test(k));

  test("every task is named and uses a fully qualified module", () => {
    const problems = tasks
      .filter(({ task }) => !task.name || MODULE_KEYS(task).length !== 1)
      .map(({ file, task }) => `${file}: ${task.name ?? JSON.stringify(task)}`);
    expect(problems).toEqual([]);
  });

  // ansible-core 2.19 (Debian 13) defines ansible_managed only while a template renders: a copy's
  // content that uses it fails there ("'ansible_managed' is undefined"; the runtime converge found it).
  test("ansible_managed is used only in templates", () => {
    const outside = [...filesUnder("roles"), ...filesUnder("playbooks")]
      .filter((f) => !f.endsWith(".j2") && /\{\{\s*ansible_managed\s*\}\}/.test(read(f)));
    expect(outside).toEqual([]);
  });

  // ansible-core 2.19 makes a template that renders empty None; assert then refuses its fail_msg
  // even when the assertion holds (state-backup.yml did, in the off-site converge). A message
  // starting with a loop renders empty when the loop has nothing: text must come first.
  test("no assert or debug message can render empty (it starts with text, not a Jinja block)", () => {
    const risky = tasks.flatMap(({ file, task }) =>
      ["ansible.builtin.assert", "ansible.builtin.debug", "ansible.builtin.fail"].flatMap((module) =>
        ["msg", "fail_msg", "success_msg"]
          .filter((key) => typeof task[module]?.[key] === "string" && /^\s*\{%/.test(task[module][key]))
          .map((key) => `${file}: ${task.name} (${key})`),
      ),
    );
    expect(risky).toEqual([]);
  });

  /** What cannot work in a chroot: service state, downloads, waits, mounts, module loading, the API. */
  function needsRuntime(task: Record<string, any>): boolean {
    const [module] = MODULE_KEYS(task);
    const args = task[module] ?? {};
    const command = typeof args === "string" ? args : JSON.stringify(args);
    return (
      ["ansible.builtin.get_url", "ansible.builtin.wait_for", "ansible.builtin.reboot", "ansible.builtin.service_facts",
        "community.general.modprobe"].includes(module) ||
      (module === "ansible.posix.mount" && args.state === "mounted") ||
      (module === "ansible.builtin.systemd_service" && "state" in args) ||
      (module === "ansible.builtin.command" && /kubectl|etcd-snapshot|swapoff|k3s(_node_bin \}\})? --version|ip address/.test(command)) ||
      (module === "ansible.builtin.slurp" && /\/etc\/rancher\/k3s\/k3s\.yaml/.test(command))
    );
  }

  test("every task that needs a live machine is tagged needs_runtime (or is a chroot-guarded handler)", () => {
    const untagged = tasks
      .filter(({ task }) => needsRuntime(task))
      .filter(({ file, task }) => !task.tags.includes("needs_runtime") && !(/handlers/.test(file) && /is_chroot/.test(JSON.stringify(task.when))))
      .map(({ file, task }) => `${file}: ${task.name}`);
    expect(untagged).toEqual([]);
  });

  /** What a container sharing its host's kernel cannot do: modules, iSCSI, NFS, swap, block devices. */
  function needsKernel(task: Record<string, any>): boolean {
    const [module] = MODULE_KEYS(task);
    const args = task[module] ?? {};
    const command = typeof args === "string" ? args : JSON.stringify(args);
    return (
      module === "community.general.modprobe" ||
      (module === "ansible.posix.mount" && args.state === "mounted") ||
      (/^ansible\.builtin\.systemd(_service)?$/.test(module) && /^(iscsid|nfs-server)/.test(args.name ?? "") && "state" in args) ||
      (module === "ansible.builtin.command" && /swapoff|sysctl --system/.test(command))
    );
  }

  /** What needs a running Kubernetes: kubectl, the admin kubeconfig, the API on the VIP. */
  function needsCluster(task: Record<string, any>): boolean {
    const [module] = MODULE_KEYS(task);
    const args = task[module] ?? {};
    const command = typeof args === "string" ? args : JSON.stringify(args);
    return (
      (module === "ansible.builtin.command" && /kubectl/.test(command)) ||
      (module === "ansible.builtin.slurp" && /\/etc\/rancher\/k3s\/k3s\.yaml/.test(command)) ||
      (module === "ansible.builtin.wait_for" && /k3s_api_vip/.test(command))
    );
  }

  // The plays the runtime converge applies: their kernel and cluster steps are skipped there by tag
  // and listed as not exercised. Handlers ignore tags, so a kernel handler checks for a container.
  const CONVERGED_ROLES = ["node_prereqs", "kube_vip", "k3s_node", "k3s_server", "k3s_agent", "kubeconfig", "etcd_backup_copy", "nfs_backup_target", "adguard_home", "tfc_agent"];
  const converged = tasks.filter(
    ({ file }) => CONVERGED_ROLES.some((role) => file.startsWith(`roles/${role}/`)) || /^playbooks\/(site|agents|backups|rpi)\.yml$|^playbooks\/tasks\//.test(file),
  );

  test("every converged task that needs kernel features a container lacks is tagged needs_kernel (handlers: a container check)", () => {
    expect(converged.filter(({ task }) => needsKernel(task)).length).toBeGreaterThan(5);
    const untagged = converged
      .filter(({ task }) => needsKernel(task))
      .filter(({ file, task }) => !task.tags.includes("needs_kernel") && !(/handlers/.test(file) && /node_prereqs_container_techs/.test(JSON.stringify(task.when))))
      .map(({ file, task }) => `${file}: ${task.name}`);
    expect(untagged).toEqual([]);
  });

  test("every converged task that needs a running Kubernetes is tagged needs_cluster", () => {
    expect(converged.filter(({ task }) => needsCluster(task)).length).toBeGreaterThan(2);
    const untagged = converged
      .filter(({ task }) => needsCluster(task) && !task.tags.includes("needs_cluster"))
      .map(({ file, task }) => `${file}: ${task.name}`);
    expect(untagged).toEqual([]);
  });

  test("the sysctl handler skips containers, which share the host's kernel", () => {
    const handler = yamlOf("roles/node_prereqs/handlers/main.yml").find((h: any) => h.name === "Apply sysctls");
    expect(handler.when).toContain("ansible_facts['virtualization_tech_guest'] | default([]) | intersect(node_prereqs_container_techs) | length == 0");
    expect(yamlOf("roles/node_prereqs/defaults/main.yml").node_prereqs_container_techs).toEqual(
      expect.arrayContaining(["systemd-nspawn", "lxc", "docker", "podman"]),
    );
  });

  test("every Longhorn disk step is tagged longhorn_disk", () => {
    const main = yamlOf("roles/node_prereqs/tasks/main.yml");
    const include = main.find((t: any) => t["ansible.builtin.import_tasks"] === "longhorn-disk.yml");
    expect(include.tags).toEqual(["longhorn_disk", "needs_kernel"]);
    expect(tasks.filter((t) => t.file.endsWith("longhorn-disk.yml")).length).toBeGreaterThan(4);
  });

  test("the disk is found by the serial the infra stack gives it, not by an sdX letter", () => {
    const disk = yamlOf("roles/node_prereqs/defaults/main.yml").node_prereqs_longhorn_disk;
    expect(disk).toBe(`/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${LONGHORN_DISK_SERIAL}`);
    const stat = tasks.find((t) => t.task.name === "Check that the Longhorn disk is attached")!.task;
    expect(stat["ansible.builtin.stat"].follow).toBe(true); // the by-id path is a symlink
  });

  test("the disk is formatted only when blkid finds no filesystem, never forced", () => {
    const format = tasks.find((t) => t.task.name === "Format the Longhorn disk (new disk only)")!.task;
    expect(format["community.general.filesystem"].force).toBe(false);
    expect(format.when).toBe("node_prereqs_disk_type.stdout == ''");
    const mount = tasks.find((t) => t.task.name === "Mount the Longhorn disk by UUID")!.task;
    expect(mount["ansible.posix.mount"].src).toBe("UUID={{ node_prereqs_disk_uuid.stdout }}");
  });

  test("no file under ansible/ names a literal token", () => {
    const offenders = [...filesUnder("roles"), ...filesUnder("playbooks"), "ansible.cfg"].filter((f) =>
      /^\s*(token|k3s_token)\s*:/m.test(read(f)),
    );
    expect(offenders.map((f) => relative(ANSIBLE, join(ANSIBLE, f)))).toEqual([]);
  });
});
