/**
 * `npm run pve:answers [-- --iso <proxmox-ve.iso>] [--out <dir>]`: writes one answer.toml per
 * Proxmox node from homelab.yaml (HOMELAB_CONFIG) into .pve-answers/ (git-ignored, mode 0700):
 *   iso/<node>.toml     for a per-node ISO (prepare-iso --fetch-from iso)
 *   http/<node>.toml    served by the Pi's answer service (one ISO for every node), with the webhook
 *   http/service.json   what the service needs (nodes, MACs, port; no secret)
 *   tls/                the service's self-signed certificate and key, made once with openssl
 *   first-boot.sh       the first-boot step, baked into every ISO (--on-first-boot)
 * and prints the exact prepare-iso command for each node and for the one-stick mode.
 *
 * Root's password comes only from PVE_ROOT_PASSWORD_HASH (a crypt hash) in the environment.
 * Every answer is checked against the answer model before it is written; when
 * proxmox-auto-install-assistant is installed, its validate-answer checks them too.
 * Exit 0 when written, 1 when the config, the environment or an answer is refused, 2 on usage.
 */
import { runPveAnswers } from "../pve/cli";

const outcome = runPveAnswers({
  args: process.argv.slice(2),
  configFile: process.env.HOMELAB_CONFIG ?? "homelab.yaml",
  env: process.env,
});
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
