/**
 * `npm run pve:answers`: writes one answer.toml per Proxmox node from the lab config, see
 * scripts/pve-answers.ts for what it writes where. A function of its inputs, so that tests run it
 * in-process; the script wires it to the process.
 */
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblems, loadLabFile } from "../config/load";
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
} from "./answers";

export const USAGE = "usage: npm run pve:answers [-- --iso <path/to/proxmox-ve.iso>] [--out <dir>]";

export interface PveAnswersInvocation {
  readonly args: readonly string[];
  /** HOMELAB_CONFIG, or homelab.yaml when unset. */
  readonly configFile: string;
  /** The environment: PVE_ROOT_PASSWORD_HASH is read from it, nothing else. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface PveAnswersOutcome {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

/** A refusal: the message goes to stderr, prefixed, with the exit code. */
class Refusal extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

function fail(message: string, code: 1 | 2 = 1): never {
  throw new Refusal(message, code);
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

/** `npm run pve:answers`, as a function of its inputs (tests run it in-process). */
export function runPveAnswers(invocation: PveAnswersInvocation): PveAnswersOutcome {
  const stdout: string[] = [];
  const stderr: string[] = [];
  try {
    writeAnswers(invocation, stdout, stderr);
    return { exitCode: 0, stdout: stdout.join("\n") + "\n", stderr: stderr.map((l) => l + "\n").join("") };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return { exitCode: err.exitCode, stdout: "", stderr: [...stderr, `pve:answers: ${err.message}`].map((l) => l + "\n").join("") };
  }
}

function writeAnswers(invocation: PveAnswersInvocation, out: string[], err: string[]): void {
  const argv = invocation.args;
  const known = new Set(["--iso", "--out"]);
  for (let i = 0; i < argv.length; i += 2) if (!known.has(argv[i])) fail(`unknown argument ${argv[i]}; ${USAGE}`, 2);
  const iso = option(argv, "--iso", "proxmox-ve.iso");
  const dir = option(argv, "--out", ANSWERS_DIR);

  const configFile = invocation.configFile;
  const loaded = loadLabFile(configFile);
  if (!loaded.ok) fail(`${configFile} is not valid, no answer written:\n${formatProblems(loaded.problems)}`);
  const lab = loaded.lab;
  // Among them the shipped example SSH key and MACs: these go onto the machines.
  if (loaded.warnings.length) err.push(formatProblems(loaded.warnings));

  const hash = invocation.env[ROOT_PASSWORD_HASH_ENV];
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
  out.push(
    `pve:answers: ${written.length} answer files written to ${dir}/ (mode 0600, git-ignored; they hold root's password hash),`,
    `  keyboard ${locale.keyboard}, country ${locale.country}, timezone ${locale.timezone}, then ${lab.proxmox.install.rebootMode}` +
      (validated ? "; proxmox-auto-install-assistant validate-answer accepts every one." : "."),
    ...(skipped.length ? [`  No install facts, no answer: ${skipped.join(", ")}.`] : []),
    "",
    "One ISO per node (the answer is on the stick):",
    ...nodes.map(({ node }) => `  ${prepareIsoCommand(node.name, { iso, dir })}`),
  );
  if (service) {
    out.push(
      "",
      `One ISO for every node (the Pi serves each node's answer by MAC at ${service.baseUrl}):`,
      `  ansible-playbook -i ansible/inventory/hosts.yaml ansible/playbooks/rpi.yml -e pve_answer_service_enabled=true`,
      `  ${prepareIsoHttpCommand(service, { iso, dir })}`,
      `  Answer service certificate SHA-256 fingerprint: ${service.fingerprint}`,
    );
  }
  out.push("", "Then, once every node is installed: ansible-playbook -i ansible/inventory/hosts.yaml ansible/playbooks/pve-cluster.yml");
}
