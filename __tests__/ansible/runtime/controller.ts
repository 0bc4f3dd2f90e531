/**
 * Runs one command on the Debian 13 controller (ansible-core 2.19, ansible-lint 25, cloud-init 25),
 * from the current directory of the clone: `tsx __tests__/ansible/runtime/controller.ts <command…>`.
 * scripts/ansible-check.sh uses it to lint and syntax-check with the Ansible users have. Root only
 * (chroot, mounts); builds the images on first use (lib/images.ts). The environment passed in is
 * only the ANSIBLE_*, NO_COLOR and HOMELAB_* variables and those HOMELAB_CONTROLLER_PASS_ENV names; the
 * exit status is the command's.
 * HOMELAB_CONTROLLER_BIND names more host directories to bind-mount (colon-separated).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Controller } from "./lib/controller";
import { ensureImages } from "./lib/images";

const ROOT = join(__dirname, "..", "..", "..");
const argv = process.argv.slice(2);
if (argv.length === 0 || process.getuid?.() !== 0) {
  console.error("usage (root): tsx __tests__/ansible/runtime/controller.ts <command…>   runs it with Debian 13's Ansible");
  process.exit(2);
}
const images = ensureImages((line) => console.error(`controller: ${line}`));
const scratch = join(process.env.HOMELAB_RUNTIME_WORK || "/var/tmp/homelab-runtime", `controller-${process.pid}`);
// HOMELAB_CONTROLLER_BIND: more host directories to bind (colon-separated), e.g. a temp inventory's.
const binds = [ROOT, ...(process.env.HOMELAB_CONTROLLER_BIND ?? "").split(":").filter(Boolean)];
const controller = new Controller(images, scratch, binds);
// HOMELAB_CONTROLLER_PASS_ENV: more variable names to pass (colon-separated), e.g. a secret a role
// reads from the environment under its own name (NTFY_PUBLISH_AUTHORIZATION).
const passed = new Set((process.env.HOMELAB_CONTROLLER_PASS_ENV ?? "").split(":").filter(Boolean));
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => /^(ANSIBLE_|NO_COLOR$|HOMELAB_)/.test(k) || passed.has(k)),
) as Record<string, string>;
let status = 1;
try {
  const command = controller.command(argv, { cwd: process.cwd(), env });
  status = spawnSync(command[0], command.slice(1), { stdio: "inherit" }).status ?? 1;
} finally {
  controller.close();
}
process.exit(status);
