import { parse } from "yaml";
import { CHRONY_CONF_TEMPLATE, CloudInitSnippet, renderCloudInitUserData } from "../../../constructs/proxmox/cloud-init-snippet";
import { synthJson } from "../../helpers";
import { recordedContent } from "../../support/read-recorder";
import { loadProxmoxSchema, validateAgainstSchema } from "../../support/terraform-schema";
import { PUBLIC_KEY, USER_DATA, only, testStack } from "./fixtures";

describe("renderCloudInitUserData", () => {
  const text = renderCloudInitUserData(USER_DATA);
  // The infra stack uploads this text as each VM's snippet (for npm run test:unasserted).
  const doc = recordedContent(parse(text), "tf.resource.proxmox_virtual_environment_file.*.source_raw.data");

  it("starts with the #cloud-config header cloud-init requires", () => {
    expect(text.split("\n")[0]).toBe("#cloud-config");
  });

  it("sets the hostname and FQDN and manages /etc/hosts", () => {
    expect(doc).toMatchObject({ hostname: "k3s-master-1", fqdn: "k3s-master-1.home.arpa", manage_etc_hosts: true });
  });

  it("creates only the admin user, with sudo and the configured public keys, and no password", () => {
    expect(doc.users).toEqual([
      {
        name: "homelab",
        groups: ["sudo"],
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [PUBLIC_KEY],
      },
    ]);
    expect(doc.ssh_pwauth).toBe(false);
    // No root login either: every session is the admin user's, through sudo.
    expect(doc.disable_root).toBe(true);
    expect(text).not.toMatch(/^\s*(- )?(passwd|hashed_passwd|plain_text_passwd|password|chpasswd):/m);
  });

  it("installs the guest agent, Longhorn's iSCSI/NFS clients and chrony, and starts the daemons", () => {
    expect(doc.package_update).toBe(true);
    expect(doc.packages).toEqual(["qemu-guest-agent", "open-iscsi", "nfs-common", "chrony"]);
    // set -eu first: runcmd is one script, and without it only the last command's failure counts.
    // qemu-guest-agent's unit is static: `enable` would do nothing, it must be started.
    expect(doc.runcmd).toEqual(["set -eu", "systemctl enable --now iscsid", "systemctl start qemu-guest-agent"]);
  });

  it("syncs time with the configured NTP servers and sets the time zone", () => {
    const custom = recordedContent(
      parse(renderCloudInitUserData({ ...USER_DATA, ntpServers: ["192.168.1.1", "fr.pool.ntp.org"], timezone: "UTC" })),
      "tf.resource.proxmox_virtual_environment_file.*.source_raw.data",
    );
    expect(custom.ntp).toEqual({
      enabled: true,
      ntp_client: "chrony",
      pools: ["192.168.1.1", "fr.pool.ntp.org"],
      config: { confpath: "/etc/chrony/chrony.conf", template: CHRONY_CONF_TEMPLATE },
    });
    // `servers` would become single `server` lines: pool.ntp.org must stay a pool.
    expect(custom.ntp.servers).toBeUndefined();
    expect(custom.timezone).toBe("UTC");
  });

  it("writes chrony.conf from a template that keeps Debian's includes and turns every NTP entry into a pool", () => {
    const lines = CHRONY_CONF_TEMPLATE.split("\n");
    // cloud-init renders a template only with this header.
    expect(lines[0]).toBe("## template:jinja");
    expect(CHRONY_CONF_TEMPLATE).toContain("{% for pool in pools -%}\npool {{ pool }} iburst\n{% endfor -%}\n");
    for (const include of ["sourcedir /run/chrony-dhcp", "sourcedir /etc/chrony/sources.d", "confdir /etc/chrony/conf.d"]) {
      expect(lines).toContain(include);
    }
    expect(lines).toEqual(expect.arrayContaining(["driftfile /var/lib/chrony/chrony.drift", "makestep 1 3", "rtcsync"]));
    // No server lines, and nothing chrony 4.5 (Ubuntu 24.04) would refuse.
    expect(CHRONY_CONF_TEMPLATE).not.toMatch(/^server /m);
    expect(CHRONY_CONF_TEMPLATE).not.toMatch(/leapseclist/);
    // Terraform would read ${ or %{ as template syntax (escaped, but better not needed).
    expect(CHRONY_CONF_TEMPLATE).not.toMatch(/\$\{|%\{/);
  });

  it("is deterministic", () => {
    expect(renderCloudInitUserData({ ...USER_DATA })).toBe(text);
  });

  it("fails when there is no SSH public key", () => {
    expect(() => renderCloudInitUserData({ ...USER_DATA, sshPublicKeys: [] })).toThrow(
      "cloud-init: k3s-master-1 has no SSH public key; nobody could log in (passwords are off). Add one to vm.sshPublicKeys",
    );
  });

  it("fails when a private key is passed as a public key", () => {
    expect(() =>
      renderCloudInitUserData({ ...USER_DATA, sshPublicKeys: [`${["-----BEGIN OPENSSH", "PRIVATE KEY-----"].join(" ")}\nb3Bl`] }),
    ).toThrow(/is not an OpenSSH public key line; put only public keys/);
  });

  it("fails when the hostname is not a DNS label", () => {
    expect(() => renderCloudInitUserData({ ...USER_DATA, hostname: "K3s_Master" })).toThrow(
      'cloud-init: hostname "K3s_Master" is not a DNS label',
    );
  });

  it("fails when the admin user is not a Linux user name", () => {
    expect(() => renderCloudInitUserData({ ...USER_DATA, adminUser: "Admin User" })).toThrow(
      'cloud-init: adminUser "Admin User" is not a Linux user name',
    );
  });

  it("fails when there is no NTP server", () => {
    expect(() => renderCloudInitUserData({ ...USER_DATA, ntpServers: [] })).toThrow(/has no NTP server; etcd needs synchronized clocks/);
  });
});

describe("CloudInitSnippet", () => {
  it("uploads the user data as a snippet to the VM's node, named after the VM", () => {
    const stack = testStack();
    const snippet = new CloudInitSnippet(stack, "k3s-master-1-cloud-init", { ...USER_DATA, proxmoxNode: "pve-02" });
    const json = synthJson(stack);
    const file = only(json, "proxmox_virtual_environment_file");
    expect(file).toMatchObject({ content_type: "snippets", datastore_id: "local", node_name: "pve-02" });
    expect(file.source_raw).toEqual({ data: snippet.userData, file_name: "k3s-master-1-user-data.yaml" });
    expect(snippet.fileId).toMatch(/^\$\{TfToken/);
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("escapes Terraform template openers so a key comment stays literal", () => {
    const stack = testStack();
    new CloudInitSnippet(stack, "s", { ...USER_DATA, sshPublicKeys: [`${PUBLIC_KEY} \${oops} %{x}`], proxmoxNode: "pve-01" });
    const data: string = only(synthJson(stack), "proxmox_virtual_environment_file").source_raw.data;
    expect(data).toContain("test@example $${oops} %%{x}");
  });

  it("mustNotContain checks the uploaded data, with the text quoted and escaped for Terraform", () => {
    const snippet = new CloudInitSnippet(testStack(), "s", { ...USER_DATA, proxmoxNode: "pve-01" });
    const { condition, errorMessage } = snippet.mustNotContain('say "${x}"', "fix it");
    expect(condition).toMatch(/^\$\{!strcontains\(proxmox_virtual_environment_file\.s_user-data_[0-9A-F]+\.source_raw\[0\]\.data, "say \\"\$\$\{x\}\\""\)\}$/);
    expect(errorMessage).toBe("fix it");
  });

  it("fails when mustNotContain is given text that is not printable ASCII", () => {
    const snippet = new CloudInitSnippet(testStack(), "s", { ...USER_DATA, proxmoxNode: "pve-01" });
    expect(() => snippet.mustNotContain("a\nb", "x")).toThrow('CloudInitSnippet s: mustNotContain text "a\nb" must be printable ASCII');
  });

  it("fails when the datastore is empty", () => {
    expect(() => new CloudInitSnippet(testStack(), "s", { ...USER_DATA, datastoreId: "", proxmoxNode: "pve-01" })).toThrow(
      "CloudInitSnippet s: datastoreId is empty; name a directory storage with the snippets content type, e.g. local",
    );
  });
});
