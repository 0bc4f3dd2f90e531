/**
 * The template and playbook settings that matter, checked in milliseconds: a change that breaks
 * one fails here, before any converge. The runtime converge (__tests__/ansible/runtime/) applies
 * the same files to booted machines; these tests say why each line is there.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ANSIBLE = join(__dirname, "..", "..", "ansible");
const read = (path: string) => readFileSync(join(ANSIBLE, path), "utf8");
const ROLES = readdirSync(join(ANSIBLE, "roles")).sort();
const PLAYBOOKS = readdirSync(join(ANSIBLE, "playbooks")).filter((f) => f.endsWith(".yml")).sort();

/** `Key=value` lines of a systemd unit template's section. */
function section(unit: string, name: string): string[] {
  const start = unit.indexOf(`[${name}]`);
  if (start === -1) return [];
  const rest = unit.slice(start + name.length + 2);
  const end = rest.search(/^\[/m);
  return (end === -1 ? rest : rest.slice(0, end)).split("\n").filter((l) => /^[A-Za-z]+=/.test(l));
}

describe("systemd units the roles write", () => {
  const k3s = read("roles/k3s_server/templates/k3s.service.j2");
  const k3sAgent = read("roles/k3s_agent/templates/k3s-agent.service.j2");
  const adguard = read("roles/adguard_home/templates/adguardhome.service.j2");
  const tfc = read("roles/tfc_agent/templates/tfc-agent.service.j2");
  const copy = read("roles/etcd_backup_copy/templates/homelab-etcd-backup-copy.service.j2");
  const timer = read("roles/etcd_backup_copy/templates/homelab-etcd-backup-copy.timer.j2");

  test("K3s: notify (started means the server is up), KillMode=process so a restart keeps the pods, delegated cgroups", () => {
    const service = section(k3s, "Service");
    expect(service).toEqual(expect.arrayContaining(["Type=notify", "KillMode=process", "Delegate=yes", "Restart=always", "TimeoutStartSec=0"]));
    // KillMode=control-group (the default) would kill every container with a K3s restart.
    expect(service.filter((l) => l.startsWith("KillMode="))).toEqual(["KillMode=process"]);
    expect(service).toContain("ExecStart={{ k3s_server_bin }} server");
    // The module loads may fail (a container, a built-in module) without failing the start.
    expect(service.filter((l) => l.startsWith("ExecStartPre="))).toEqual(["ExecStartPre=-/sbin/modprobe br_netfilter", "ExecStartPre=-/sbin/modprobe overlay"]);
  });

  test("K3s agent: the server's unit settings, with `k3s agent` (notify: started means joined)", () => {
    const service = section(k3sAgent, "Service");
    expect(service).toContain("ExecStart={{ k3s_agent_bin }} agent");
    // Everything else as the server's: a restart keeps the pods, cgroups delegated, modules tried.
    const same = (lines: string[]) => lines.filter((l) => !l.startsWith("ExecStart="));
    expect(same(service)).toEqual(same(section(k3s, "Service")));
    expect(section(k3sAgent, "Install")).toEqual(["WantedBy=multi-user.target"]);
    expect(section(k3sAgent, "Unit")).toEqual(expect.arrayContaining(["After=network-online.target iscsid.service", "Wants=network-online.target"]));
  });

  test("every long-running unit a play starts has a type that fails the start when the binary cannot run", () => {
    // simple (the default) reports a start before exec: a missing binary would pass the play.
    for (const [name, unit] of [["k3s", k3s], ["k3s-agent", k3sAgent], ["adguardhome", adguard], ["tfc-agent", tfc]]) {
      const type = section(unit, "Service").find((l) => l.startsWith("Type="));
      expect({ name, type }).toEqual({ name, type: expect.stringMatching(/^Type=(exec|notify)$/) });
    }
    expect(section(adguard, "Service")).toContain("Type=exec");
    expect(section(tfc, "Service")).toContain("Type=exec");
  });

  test("AdGuard Home binds port 53 unprivileged and sandboxed, writing only its work directory", () => {
    const service = section(adguard, "Service");
    expect(service).toEqual(
      expect.arrayContaining([
        "User={{ adguard_home_user }}",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ReadWritePaths={{ adguard_home_work_dir }}",
      ]),
    );
    expect(service.find((l) => l.startsWith("ExecStart="))).toContain("--no-check-update");
  });

  test("the tfc-agent reads its token from the root-only environment file and runs as its own user", () => {
    expect(section(tfc, "Service")).toEqual(expect.arrayContaining(["User={{ tfc_agent_user }}", "EnvironmentFile={{ tfc_agent_env_file }}"]));
  });

  test("the etcd copy needs its mount, never rewrites a copy on the Pi, and runs on a persistent timer", () => {
    const unit = section(copy, "Unit");
    expect(unit).toContain("RequiresMountsFor={{ etcd_backup_copy_mount }}");
    // Without the fstab entry RequiresMountsFor adds nothing: the assertion makes the copy fail
    // instead of filling the root disk.
    expect(unit).toContain("AssertPathIsMountPoint={{ etcd_backup_copy_mount }}");
    const service = section(copy, "Service");
    expect(service).toContain("Type=oneshot");
    const rsync = service.find((l) => l.includes("/usr/bin/rsync"));
    expect(rsync).toMatch(/--ignore-existing/);
    // The trailing slashes copy the directory's content into the destination.
    expect(rsync).toMatch(/\{\{ etcd_backup_copy_source_dir \}\}\/ \{\{ etcd_backup_copy_dest_dir \}\}\/$/);
    expect(section(timer, "Timer")).toEqual(expect.arrayContaining(["OnCalendar={{ etcd_backup_copy_on_calendar }}", "Persistent=true"]));
    expect(section(timer, "Install")).toEqual(["WantedBy=timers.target"]);
  });
});

describe("kube-vip manifest", () => {
  const manifest = read("roles/kube_vip/templates/kube-vip.yaml.j2");
  test("announces the API port K3s serves (6443)", () => {
    expect(manifest).toMatch(/- name: port\n\s+value: "6443"\n/);
  });
  test("is written before K3s first starts: the first-server play runs kube_vip before k3s_server", () => {
    const site = parse(read("playbooks/site.yml"));
    const first = site.find((play: any) => play.hosts === "k3s_init" && play.roles?.includes("k3s_server"));
    expect(first.roles).toEqual(["kube_vip", "k3s_server"]);
  });
});

describe("AdGuard Home configuration", () => {
  const config = read("roles/adguard_home/templates/AdGuardHome.yaml.j2");
  test("DHCP stays off: the ISP box owns DHCP, and a second DHCP server on the LAN would hand out wrong leases", () => {
    expect(config).toMatch(/^dhcp:\n {2}enabled: false$/m);
  });
  test("the DNS port and bind addresses come from the role, the schema version is written", () => {
    expect(config).toMatch(/^ {2}port: \{\{ adguard_home_dns_port \| int \}\}$/m);
    expect(config).toMatch(/^schema_version: \{\{ adguard_home_schema_version \| int \}\}$/m);
    expect(parse(read("roles/adguard_home/defaults/main.yml")).adguard_home_dns_port).toBe(53);
  });
});

describe("the controller's Ansible", () => {
  test("every role's meta asks for ansible-core 2.18", () => {
    for (const role of ROLES) {
      const meta = parse(read(`roles/${role}/meta/main.yml`));
      expect({ role, min: meta.galaxy_info.min_ansible_version }).toEqual({ role, min: "2.18" });
    }
  });

  test("every playbook's first task checks the version, before any connection, with where to get 2.18", () => {
    for (const playbook of PLAYBOOKS) {
      const [first] = parse(read(`playbooks/${playbook}`));
      const task = (first.pre_tasks ?? first.tasks)[0];
      expect({ playbook, name: task.name }).toEqual({ playbook, name: "Check the Ansible version" });
      expect(task["ansible.builtin.assert"].that).toBe("ansible_version.full is version('2.18', '>=')");
      expect(task["ansible.builtin.assert"].fail_msg).toMatch(/Debian 13: apt install ansible.*pipx install ansible-core/s);
      // Facts are gathered before the first task; the first play gathers none.
      expect({ playbook, gather_facts: first.gather_facts }).toEqual({ playbook, gather_facts: false });
      if (first.pre_tasks) expect(first.tasks).toBeUndefined();
    }
  });
});

describe("download sources", () => {
  test("each release download has a base URL variable whose default is the upstream one", () => {
    const defaults = (role: string) => parse(read(`roles/${role}/defaults/main.yml`));
    // One source for servers and agents: the k3s_node role's.
    expect(defaults("k3s_node").k3s_node_release_url).toBe("https://github.com/k3s-io/k3s/releases/download");
    expect(defaults("k3s_node").k3s_node_checksum).toBe("sha256:{{ k3s_node_release }}/sha256sum-{{ k3s_node_arch }}.txt");
    expect(defaults("adguard_home").adguard_home_release_url).toBe("https://github.com/AdguardTeam/AdGuardHome/releases/download");
    expect(defaults("adguard_home").adguard_home_url).toMatch(/^\{\{ adguard_home_release_url \}\}\//);
    expect(defaults("adguard_home").adguard_home_checksum).toContain("adguard_home_release_url");
    expect(defaults("tfc_agent").tfc_agent_release_url).toBe("https://releases.hashicorp.com/tfc-agent");
    expect(defaults("tfc_agent").tfc_agent_url).toMatch(/^\{\{ tfc_agent_release_url \}\}\//);
    expect(defaults("tfc_agent").tfc_agent_checksum).toMatch(/^sha256:\{\{ tfc_agent_release_url \}\}\//);
    expect(read("roles/k3s_node/tasks/binary.yml")).toContain('checksum: "{{ k3s_node_checksum }}"');
  });
});
