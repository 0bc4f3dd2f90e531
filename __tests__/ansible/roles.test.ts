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
import { LONGHORN_DISK_SERIAL } from "../../constructs/proxmox/k3s-server-vm";
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
      (module === "ansible.builtin.command" && /kubectl|etcd-snapshot|swapoff|k3s --version|ip address/.test(command)) ||
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
  const CONVERGED_ROLES = ["node_prereqs", "kube_vip", "k3s_server", "kubeconfig", "etcd_backup_copy", "nfs_backup_target", "adguard_home", "tfc_agent"];
  const converged = tasks.filter(({ file }) => CONVERGED_ROLES.some((role) => file.startsWith(`roles/${role}/`)) || /^playbooks\/(site|backups|rpi)\.yml$/.test(file));

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
