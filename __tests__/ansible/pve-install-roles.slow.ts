/**
 * The two Ansible roles of the unattended install, run by ansible-playbook on this machine
 * (local connection, files under a temp dir): pve_install_check lets a node with its own marker
 * through and stops one without a marker or with another node's; the answer service's unit
 * renders from the role's template to a unit systemd accepts (systemd-analyze verify), Type=exec.
 *
 * A slow test (ansible-playbook processes, about 7 s on an idle machine): `npm run test:slow`, run by .ci/run, not npm test.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROLES = join(__dirname, "..", "..", "ansible", "roles");
let work: string;
let run: ReturnType<typeof spawnSync>;
let out: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-pve-roles-"));
  writeFileSync(join(work, "m1"), "# marker\nnode=pve-01\nfqdn=pve-01.home.arpa\n");
  writeFileSync(join(work, "m2"), "node=pve-03\n");
  writeFileSync(
    join(work, "hosts.yaml"),
    [
      "proxmox:",
      "  hosts:",
      `    pve-01: { ansible_connection: local, ansible_host: 192.168.1.11, pve_install_check_marker_path: ${work}/m1 }`,
      `    pve-02: { ansible_connection: local, ansible_host: 192.168.1.12, pve_install_check_marker_path: ${work}/m2 }`,
      `    pve-03: { ansible_connection: local, ansible_host: 192.168.1.13, pve_install_check_marker_path: ${work}/none }`,
      "raspberry_pi:",
      "  hosts:",
      "    rpi-01: { ansible_connection: local, ansible_host: 192.168.1.5 }",
      "",
    ].join("\n"),
  );
  const config = { listen: "192.168.1.5", port: 8443, answerPath: "/answer", webhookPath: "/installed", fingerprint: "AA", nodes: [{ name: "pve-01", fqdn: "pve-01.home.arpa", mac: "00:00:5e:00:53:01", answer: "pve-01.toml" }] };
  writeFileSync(join(work, "service.json"), JSON.stringify(config));
  writeFileSync(
    join(work, "play.yml"),
    [
      "- name: Check the install markers",
      "  hosts: proxmox",
      "  gather_facts: false",
      "  roles:",
      "    - role: pve_install_check",
      "- name: Render the answer service unit, plain and with the cluster playbook run",
      "  hosts: raspberry_pi",
      "  gather_facts: false",
      "  vars_files:",
      `    - ${ROLES}/pve_answer_service/defaults/main.yml`,
      "  tasks:",
      "    - name: Render",
      "      ansible.builtin.template:",
      `        src: ${ROLES}/pve_answer_service/templates/pve-answer-service.service.j2`,
      `        dest: "${work}/{{ item.file }}"`,
      "        mode: '0644'",
      "      vars:",
      `        pve_answer_service_config: "{{ lookup('ansible.builtin.file', '${work}/service.json') | from_json }}"`,
      "        pve_answer_service_run_cluster_playbook: \"{{ item.run }}\"",
      "        pve_answer_service_repo: /home/pi/homelab",
      "      loop:",
      "        - { file: plain.service, run: false }",
      "        - { file: cluster.service, run: true }",
      "",
    ].join("\n"),
  );
  run = spawnSync("ansible-playbook", ["-i", join(work, "hosts.yaml"), join(work, "play.yml")], {
    env: { ...process.env, ANSIBLE_ROLES_PATH: ROLES, ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0", ANSIBLE_RETRY_FILES_ENABLED: "0" },
    encoding: "utf8",
    timeout: 60_000,
  });
  out = String(run.stdout) + String(run.stderr);
}, 90_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("pve_install_check", () => {
  test("a node with its own marker passes", () => {
    expect(out).toMatch(/ok: \[pve-01\]/);
    expect(out).toMatch(/pve-01\s+: ok=2 .*failed=0/);
  });

  test("a node without a marker is stopped, with the way out", () => {
    expect(out).toMatch(/fatal: \[pve-03\].*pve-03 \(192\.168\.1\.13\): no \S+\/none, so it was not installed from its answer/);
    expect(out).toContain("Rerun with -e pve_install_check_marker_required=false");
  });

  test("a machine installed with another node's answer is stopped", () => {
    expect(out).toMatch(/fatal: \[pve-02\].*says node=pve-03, expected node=pve-02/);
  });
});

describe("the answer service unit", () => {
  test("renders", () => {
    expect(out).toMatch(/rpi-01\s+: ok=1 .*failed=0/);
  });

  test("is Type=exec, listens on the configured LAN address, hardened when it only serves", () => {
    const unit = readFileSync(join(work, "plain.service"), "utf8");
    expect(unit).toMatch(/^Type=exec$/m);
    expect(unit).toMatch(/^User=pve-answers$/m);
    expect(unit).toContain("--listen 192.168.1.5 \\\n  --port 8443");
    expect(unit).not.toContain("--on-all-installed");
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
  });

  test("runs pve-cluster.yml from the checkout once every node reported, when asked", () => {
    const unit = readFileSync(join(work, "cluster.service"), "utf8");
    expect(unit).toContain("--on-all-installed 'ansible-playbook playbooks/pve-cluster.yml -e pve_install_check_wait_seconds=3600'");
    expect(unit).toContain("--run-dir /home/pi/homelab/ansible");
    expect(unit).toMatch(/^User=pi$/m);
  });

  test.each(["plain.service", "cluster.service"])("%s passes systemd-analyze verify", (file) => {
    const unitDir = join(work, "units");
    spawnSync("mkdir", ["-p", unitDir]);
    writeFileSync(join(unitDir, "pve-answer-service.service"), readFileSync(join(work, file), "utf8"));
    const verify = spawnSync("systemd-analyze", ["verify", join(unitDir, "pve-answer-service.service")], { encoding: "utf8" });
    // systemd-analyze warns about the missing script path (it is installed by the role); nothing else.
    const complaints = verify.stderr.split("\n").filter((l) => l.trim() && !/pve-answer-service\.py|Failed to prepare filename|Command .* is not executable/.test(l));
    expect(complaints).toEqual([]);
  });
});
