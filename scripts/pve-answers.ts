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
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblems, loadLabFile } from "../config/load";
import { installFactsAreYours, sshKeysAreYours } from "../config/rules";
import {
  ANSWERS_DIR,
  checkGeneratedAnswer,
  firstBootScript,
  installLocale,
  prepareIsoCommand,
  prepareIsoHttpCommand,
  renderAnswer,
  ROOT_PASSWORD_HASH_ENV,
  rootPasswordHashProblem,
  serviceConfig,
  answerServiceBaseUrl,
  type AnswerService,
} from "../pve/answers";

const USAGE = "usage: npm run pve:answers [-- --iso <path/to/proxmox-ve.iso>] [--out <dir>]";

function fail(message: string, code = 1): never {
  console.error(`pve:answers: ${message}`);
  process.exit(code);
}

function option(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const value = argv[i + 1];
  if (!value || value.startsWith("--")) fail(`${name} needs a value; ${USAGE}`, 2);
  return value;
}

/** The answer service's certificate: made once (the fingerprint is in every prepared ISO), then reused. */
function ensureServiceCertificate(dir: string, piAddress: string): string {
  const tls = join(dir, "tls");
  const cert = join(tls, "answer-service.crt");
  const key = join(tls, "answer-service.key");
  mkdirSync(tls, { recursive: true, mode: 0o700 });
  if (!existsSync(cert) || !existsSync(key)) {
    const made = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "3650", "-subj", `/CN=homelab answer service ${piAddress}`, "-keyout", key, "-out", cert],
      { encoding: "utf8" },
    );
    if (made.error || made.status !== 0) {
      fail(`could not make the answer service's certificate with openssl (Debian: apt-get install openssl): ${made.error?.message ?? made.stderr.trim()}`);
    }
    chmodSync(key, 0o600);
  }
  return new X509Certificate(readFileSync(cert)).fingerprint256;
}

function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function main(argv: readonly string[]): void {
  const known = new Set(["--iso", "--out"]);
  for (let i = 0; i < argv.length; i += 2) if (!known.has(argv[i])) fail(`unknown argument ${argv[i]}; ${USAGE}`, 2);
  const iso = option(argv, "--iso", "proxmox-ve.iso");
  const dir = option(argv, "--out", ANSWERS_DIR);

  const configFile = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
  const loaded = loadLabFile(configFile);
  if (!loaded.ok) fail(`${configFile} is not valid, no answer written:\n${formatProblems(loaded.problems)}`);
  const lab = loaded.lab;
  // The doctor's deploy advice matters here: these keys and MACs go onto the machines.
  const warnings = [...loaded.warnings, ...sshKeysAreYours(lab), ...installFactsAreYours(lab)];
  if (warnings.length) console.warn(formatProblems(warnings));

  const hash = process.env[ROOT_PASSWORD_HASH_ENV];
  const hashProblem = rootPasswordHashProblem(hash);
  if (hashProblem) fail(hashProblem);
  const locale = installLocale(lab);
  if ("problem" in locale) fail(locale.problem);
  const nodes = lab.proxmox.nodes.map((node, i) => ({ node, i })).filter(({ node }) => node.install);
  if (nodes.length === 0) fail("no node has install facts: add proxmox.nodes[].install (mac, disk) to homelab.yaml, see docs/proxmox-install.md");

  mkdirSync(join(dir, "iso"), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, "first-boot.sh"), firstBootScript(), { mode: 0o755 });

  const base = answerServiceBaseUrl(lab);
  const service: AnswerService | undefined = base ? { baseUrl: base, fingerprint: ensureServiceCertificate(dir, lab.raspberryPi!.address) } : undefined;
  if (service) mkdirSync(join(dir, "http"), { recursive: true, mode: 0o700 });

  const written: string[] = [];
  for (const { node, i } of nodes) {
    for (const delivery of service ? (["iso", "http"] as const) : (["iso"] as const)) {
      const text = renderAnswer({ lab, nodeIndex: i, rootPasswordHash: hash!, delivery, service });
      const problems = checkGeneratedAnswer(lab, i, text);
      if (problems.length) fail(`the ${delivery} answer of ${node.name} fails the answer model (a bug, please report):\n  ${problems.join("\n  ")}`);
      const file = join(dir, delivery, `${node.name}.toml`);
      writeSecretFile(file, text);
      written.push(file);
    }
  }
  if (service) writeFileSync(join(dir, "http", "service.json"), JSON.stringify(serviceConfig(lab, service), null, 2) + "\n", { mode: 0o644 });

  // The installer's own offline check, where it is installed (a Proxmox VE host, or Debian with its repository).
  const assistant = spawnSync("proxmox-auto-install-assistant", ["--version"], { encoding: "utf8" });
  const validated = !assistant.error && assistant.status === 0;
  if (validated) {
    for (const file of written) {
      const run = spawnSync("proxmox-auto-install-assistant", ["validate-answer", file], { encoding: "utf8" });
      if (run.status !== 0) fail(`proxmox-auto-install-assistant validate-answer ${file} refused it:\n${run.stdout}${run.stderr}`);
    }
  }

  const skipped = lab.proxmox.nodes.filter((n) => !n.install).map((n) => n.name);
  const out: string[] = [
    `pve:answers: ${written.length} answer files written to ${dir}/ (mode 0600, git-ignored; they hold root's password hash),`,
    `  keyboard ${locale.keyboard}, country ${locale.country}, timezone ${locale.timezone}, then ${lab.proxmox.install.rebootMode}` +
      (validated ? "; proxmox-auto-install-assistant validate-answer accepts every one." : "."),
    ...(skipped.length ? [`  No install facts, no answer: ${skipped.join(", ")}.`] : []),
    "",
    "One ISO per node (the answer is on the stick):",
    ...nodes.map(({ node }) => `  ${prepareIsoCommand(node.name, { iso, dir })}`),
  ];
  if (service) {
    out.push(
      "",
      `One ISO for every node (the Pi serves each node's answer by MAC at ${service.baseUrl}):`,
      `  ansible-playbook -i ansible/inventory/hosts.yaml ansible/playbooks/rpi.yml -e pve_answer_service=true`,
      `  ${prepareIsoHttpCommand(service, { iso, dir })}`,
      `  Answer service certificate SHA-256 fingerprint: ${service.fingerprint}`,
    );
  }
  out.push("", "Then, once every node is installed: ansible-playbook -i ansible/inventory/hosts.yaml ansible/playbooks/pve-cluster.yml");
  console.log(out.join("\n"));
}

main(process.argv.slice(2));
