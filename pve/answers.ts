/**
 * One answer.toml per Proxmox node, from the lab config: the FQDN, the static management network
 * on the NIC chosen by its MAC, the install disk, root's SSH keys, a first-boot step that writes
 * the marker pve-cluster.yml checks, and the reboot mode. Two deliveries:
 *   - iso: the answer is baked into a per-node ISO (`prepare-iso --fetch-from iso`);
 *   - http: one ISO for every node; the Pi's answer service returns each node's answer by MAC
 *     and the installer reports back to it (post-installation webhook).
 * The root password reaches the answers only as a crypt(3) hash read from the environment
 * (PVE_ROOT_PASSWORD_HASH) when they are generated; the answers live in a git-ignored folder.
 */
import { parseCidr } from "../config/ipv4";
import type { Problem } from "../config/rules";
import type { LabConfig, NodeInstallConfig, ProxmoxNodeConfig } from "../config/schema";
import { checkAnswerText, matchDisks, nicsMatching, type Machine } from "./answer-model";
import { countryOfTimezone, installerAcceptsTimezone, keyboardOfCountry } from "./locales";
import { renderToml, type TomlSection, type TomlValue } from "./toml";

/** The environment variable holding root's password hash. */
export const ROOT_PASSWORD_HASH_ENV = "PVE_ROOT_PASSWORD_HASH";
/** Where `npm run pve:answers` writes (git-ignored): answers, first-boot script, the Pi's TLS key. */
export const ANSWERS_DIR = ".pve-answers";
/** Written by the first-boot script on every node; pve-cluster.yml refuses a node without it. */
export const INSTALL_MARKER = "/etc/homelab/pve-installed";
/** Paths of the Pi's answer service. */
export const ANSWER_PATH = "/answer";
export const WEBHOOK_PATH = "/installed";

export type Delivery = "iso" | "http";

/** How to make a hash, for every message about a missing or unusable one. */
export const HOW_TO_HASH =
  `export ${ROOT_PASSWORD_HASH_ENV}="$(openssl passwd -6)"   (asks for the password; or: mkpasswd -m sha-512, ` +
  "or mkpasswd for yescrypt, from Debian's whois package)";

/**
 * Why a root password hash is unusable, or undefined when it is a SHA-512, SHA-256 or yescrypt
 * crypt(3) hash. The value is never echoed back: it is a credential.
 */
export function rootPasswordHashProblem(hash: string | undefined): string | undefined {
  if (hash === undefined || hash === "") return `${ROOT_PASSWORD_HASH_ENV} is not set: ${HOW_TO_HASH}`;
  const b64 = "[./0-9A-Za-z]";
  const forms = [
    new RegExp(`^\\$6\\$(rounds=\\d+\\$)?${b64}{1,16}\\$${b64}{86}$`), // SHA-512 (openssl passwd -6)
    new RegExp(`^\\$5\\$(rounds=\\d+\\$)?${b64}{1,16}\\$${b64}{43}$`), // SHA-256 (openssl passwd -5)
    new RegExp(`^\\$y\\$${b64}+\\$${b64}+\\$${b64}{43}$`), // yescrypt (mkpasswd)
  ];
  if (forms.some((f) => f.test(hash))) return undefined;
  const kind = /^\$1\$/.test(hash)
    ? "an MD5 crypt hash, too weak for a root password"
    : hash.startsWith("$")
      ? "not a SHA-512, SHA-256 or yescrypt crypt hash (or it was cut, e.g. by shell quoting: use single quotes)"
      : "not a crypt hash at all (a plain password?)";
  return `${ROOT_PASSWORD_HASH_ENV} is ${kind}: ${HOW_TO_HASH}`;
}

/**
 * The doctor's advice about the environment the answers are generated in: with install facts in
 * the lab, `npm run pve:answers` needs a usable root password hash in PVE_ROOT_PASSWORD_HASH.
 * Warnings: the config itself is fine, and a node installed by hand needs none.
 */
export function installEnvironmentProblems(lab: LabConfig, env: Readonly<Record<string, string | undefined>>): Problem[] {
  if (!lab.proxmox.nodes.some((n) => n.install)) return [];
  const problem = rootPasswordHashProblem(env[ROOT_PASSWORD_HASH_ENV]);
  if (!problem) return [];
  return [{ severity: "warning", path: `${ROOT_PASSWORD_HASH_ENV} (environment)`, message: `npm run pve:answers needs it: ${problem}` }];
}

export interface InstallLocale {
  readonly keyboard: string;
  readonly country: string;
  readonly timezone: string;
}

/** Keyboard, country and timezone for the answers, with the lab's defaults, or why there are none. */
export function installLocale(lab: LabConfig): InstallLocale | { problem: string } {
  const timezone = lab.vm.timezone;
  if (!installerAcceptsTimezone(timezone)) {
    return {
      problem:
        `vm.timezone: ${timezone} is not in the Proxmox installer's timezone table: use a zone of the form ` +
        "Region/City such as Europe/Paris (or UTC)",
    };
  }
  const country = lab.proxmox.install.country ?? countryOfTimezone(timezone);
  if (!country) {
    return { problem: `proxmox.install.country: not set, and ${timezone} belongs to no country: set it, e.g. country: fr` };
  }
  return { keyboard: lab.proxmox.install.keyboard ?? keyboardOfCountry(country), country, timezone };
}

export interface AnswerService {
  /** https://<pi>:<port>, the base of the answer and webhook URLs. */
  readonly baseUrl: string;
  /** SHA-256 fingerprint of the service's certificate, as `AB:CD:…`. */
  readonly fingerprint: string;
}

export function answerServiceBaseUrl(lab: LabConfig): string | undefined {
  return lab.raspberryPi ? `https://${lab.raspberryPi.address}:${lab.proxmox.install.answerPort}` : undefined;
}

/** udev's MAC-derived interface name suffix: the MAC's hex digits, lowercase, no separators. */
export const macHex = (mac: string): string => mac.toLowerCase().replace(/:/g, "");
/** udev turns whitespace in a disk model into underscores (ID_MODEL). */
export const udevModel = (model: string): string => model.trim().replace(/\s+/g, "_");

function diskEntries(disk: NodeInstallConfig["disk"]): [string, TomlValue][] {
  if (disk.device) return [["disk-list", [disk.device]]];
  const filter: [string, TomlValue][] = [];
  if (disk.serial) filter.push(["filter.ID_SERIAL_SHORT", disk.serial]);
  if (disk.model) filter.push(["filter.ID_MODEL", udevModel(disk.model)]);
  return filter.length > 1 ? [["filter-match", "all"], ...filter] : filter;
}

export interface AnswerInput {
  readonly lab: LabConfig;
  readonly nodeIndex: number;
  readonly rootPasswordHash: string;
  readonly delivery: Delivery;
  /** Needed for the http delivery (the webhook). */
  readonly service?: AnswerService;
}

/** The sections of one node's answer, in the order the installer documents them. */
export function answerSections(input: AnswerInput): TomlSection[] {
  const { lab, nodeIndex, rootPasswordHash, delivery, service } = input;
  const node = lab.proxmox.nodes[nodeIndex];
  const install = node.install;
  if (!install) throw new Error(`answerSections: proxmox.nodes[${nodeIndex}] (${node.name}) has no install facts`);
  const locale = installLocale(lab);
  if ("problem" in locale) throw new Error(locale.problem);
  const fs = install.filesystem;
  const sections: TomlSection[] = [
    {
      name: "global",
      entries: [
        ["keyboard", locale.keyboard],
        ["country", locale.country],
        ["fqdn", `${node.name}.${lab.network.domain}`],
        ["mailto", lab.proxmox.install.mailto],
        ["timezone", locale.timezone],
        ["root-password-hashed", rootPasswordHash],
        ["root-ssh-keys", lab.vm.sshPublicKeys],
        ["reboot-mode", lab.proxmox.install.rebootMode],
      ],
    },
    {
      name: "network",
      entries: [
        ["source", "from-answer"],
        ["cidr", `${node.address}/${parseCidr(lab.network.cidr).prefix}`],
        ["gateway", lab.network.gateway],
        ["dns", lab.network.dnsServers[0]],
        ["filter.ID_NET_NAME_MAC", `*${macHex(install.mac)}`],
      ],
    },
    {
      name: "disk-setup",
      entries: [
        ["filesystem", fs],
        ...(fs === "zfs" || fs === "btrfs" ? ([[`${fs}.raid`, "raid0"]] as [string, TomlValue][]) : []),
        ...diskEntries(install.disk),
      ],
    },
    // The script is on the ISO (prepare-iso --on-first-boot) in both deliveries.
    { name: "first-boot", entries: [["source", "from-iso"], ["ordering", "fully-up"]] },
  ];
  if (delivery === "http") {
    if (!service) throw new Error("answerSections: the http delivery needs the answer service (URL and fingerprint)");
    sections.push({
      name: "post-installation-webhook",
      entries: [
        ["url", `${service.baseUrl}${WEBHOOK_PATH}`],
        ["cert-fingerprint", service.fingerprint],
      ],
    });
  }
  return sections;
}

export function renderAnswer(input: AnswerInput): string {
  const node = input.lab.proxmox.nodes[input.nodeIndex];
  return renderToml(
    [
      `Proxmox VE answer file for ${node.name} (${input.delivery} delivery), generated by \`npm run pve:answers\` from homelab.yaml.`,
      "It holds root's password hash: keep it out of git (the folder is git-ignored) and delete it once installed.",
    ],
    answerSections(input),
  );
}

/**
 * The machine a node's answer is checked against: its configured NIC and disk as udev would
 * show them, plus a second NIC and a second disk that must not match, so that a filter broader
 * than the configured MAC or disk (`*`) is caught.
 */
export function nodeMachine(node: ProxmoxNodeConfig & { install: NodeInstallConfig }): Machine {
  const mac = node.install.mac.toLowerCase();
  const otherMac = mac.slice(0, -2) + ((parseInt(mac.slice(-2), 16) ^ 0x01).toString(16).padStart(2, "0"));
  const { serial, model, device } = node.install.disk;
  const disk = (name: string, ser: string, mod: string) => ({
    path: `/dev/${name}`,
    props: { DEVNAME: `/dev/${name}`, ID_SERIAL_SHORT: ser, ID_MODEL: mod, ID_SERIAL: `${mod}_${ser}` },
  });
  return {
    nics: {
      enp1s0: { ID_NET_NAME: "enp1s0", ID_NET_NAME_MAC: `enx${macHex(mac)}` },
      enp2s0: { ID_NET_NAME: "enp2s0", ID_NET_NAME_MAC: `enx${macHex(otherMac)}` },
    },
    disks: {
      "0": disk(device ?? "nvme0n1", serial ?? "CONFIGURED-DISK", model ? udevModel(model) : "Configured_Disk"),
      "1": disk(device === "sdz" ? "sdy" : "sdz", `OTHER-${serial ?? "DISK"}`, `Other_${model ? udevModel(model) : "Disk"}`),
    },
  };
}

/**
 * Problems of a generated answer: what the installer would refuse (the model), plus what the
 * project promises: the FQDN is name.domain, the network is the node's static address on the NIC
 * with the configured MAC (and no other), the disk is the configured one, root gets the config's
 * SSH keys and only a hashed password.
 */
export function checkGeneratedAnswer(lab: LabConfig, nodeIndex: number, text: string): string[] {
  const node = lab.proxmox.nodes[nodeIndex];
  if (!node.install) return [`proxmox.nodes[${nodeIndex}]: no install facts`];
  const check = checkAnswerText(text, nodeMachine({ ...node, install: node.install }));
  const problems = [...check.problems, ...check.warnings, ...check.unmodelled.map((k) => `${k}: a key the project never writes`)];
  const answer = check.answer as Record<string, Record<string, unknown>> | undefined;
  if (!answer) return problems;
  const expect = (what: string, actual: unknown, wanted: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(wanted)) problems.push(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
  };
  const g = answer.global ?? {};
  const n = answer.network ?? {};
  expect("global.fqdn", g.fqdn, `${node.name}.${lab.network.domain}`);
  expect("global.root-password", g["root-password"], undefined);
  if (typeof g["root-password-hashed"] !== "string" || rootPasswordHashProblem(g["root-password-hashed"])) {
    problems.push("global.root-password-hashed: not a usable crypt hash");
  }
  expect("global.root-ssh-keys", g["root-ssh-keys"], lab.vm.sshPublicKeys);
  expect("network.source", n.source, "from-answer");
  expect("network.cidr", n.cidr, `${node.address}/${parseCidr(lab.network.cidr).prefix}`);
  expect("network.gateway", n.gateway, lab.network.gateway);
  expect("network.dns", n.dns, lab.network.dnsServers[0]);
  expect("network.filter", Object.keys((n.filter as object) ?? {}), ["ID_NET_NAME_MAC"]);
  if (check.selected && check.selected.nic !== "enp1s0") {
    problems.push(`network.filter: picks ${check.selected.nic ?? "no NIC"}, not the NIC with ${node.install.mac}`);
  }
  // The installer takes the first match: a filter that also matches another device works only by luck.
  const machine = nodeMachine({ ...node, install: node.install });
  const nicFilter = n.filter as Record<string, string> | undefined;
  if (nicFilter && nicsMatching(nicFilter, machine).length > 1) {
    problems.push(`network.filter: ${JSON.stringify(nicFilter)} also matches a NIC without ${node.install.mac}: match that MAC only`);
  }
  const d = answer["disk-setup"] ?? {};
  const diskFilter = d.filter as Record<string, string> | undefined;
  const everyDisk = diskFilter ? matchDisks(diskFilter, machine, d["filter-match"] === "all") : [];
  const selected = diskFilter ? everyDisk : check.selected?.disks ?? [];
  if (JSON.stringify(selected) !== JSON.stringify(["0"])) {
    problems.push(`disk-setup: picks disk(s) ${JSON.stringify(selected)}, not only the configured disk`);
  }
  return problems;
}

/**
 * The first-boot script (prepare-iso --on-first-boot), the same on every node: it writes the
 * marker that pve-cluster.yml checks. HOMELAB_MARKER moves the marker (tests).
 */
export function firstBootScript(): string {
  return [
    "#!/bin/sh",
    "# homelab first-boot step (answer.toml [first-boot], source = from-iso), generated by `npm run pve:answers`.",
    "# Runs once, on the first boot after the unattended install, and leaves the node ready for",
    "# ansible/playbooks/pve-cluster.yml: root's SSH keys come from the answer (root-ssh-keys), the",
    "# package sources are switched by the playbook's pve_repositories role; this writes the marker",
    "# the playbook checks before it touches the node.",
    "set -eu",
    `marker="\${HOMELAB_MARKER:-${INSTALL_MARKER}}"`,
    'mkdir -p "$(dirname "$marker")"',
    "umask 022",
    "{",
    '  echo "# Written by the homelab first-boot script after the unattended Proxmox VE install."',
    '  echo "node=$(hostname -s)"',
    '  echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
    '  echo "installed=$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    '} >"$marker.tmp"',
    'mv "$marker.tmp" "$marker"',
    "",
  ].join("\n");
}

export interface PrepareIsoPaths {
  /** The Proxmox VE ISO as given on the command line. */
  readonly iso: string;
  /** The answers folder, relative to where the command is run (the repository root). */
  readonly dir?: string;
}

const isoOutput = (iso: string, suffix: string) => iso.replace(/(\.iso)?$/i, `-${suffix}.iso`);

/** The exact `prepare-iso` command for one node's own ISO (answer baked in). */
export function prepareIsoCommand(node: string, paths: PrepareIsoPaths): string {
  const dir = paths.dir ?? ANSWERS_DIR;
  return [
    "proxmox-auto-install-assistant prepare-iso",
    paths.iso,
    "--fetch-from iso",
    `--answer-file ${dir}/iso/${node}.toml`,
    `--on-first-boot ${dir}/first-boot.sh`,
    `--output ${isoOutput(paths.iso, node)}`,
  ].join(" ");
}

/** The exact `prepare-iso` command for the one ISO of every node (answers from the Pi). */
export function prepareIsoHttpCommand(service: AnswerService, paths: PrepareIsoPaths): string {
  const dir = paths.dir ?? ANSWERS_DIR;
  return [
    "proxmox-auto-install-assistant prepare-iso",
    paths.iso,
    "--fetch-from http",
    `--url ${service.baseUrl}${ANSWER_PATH}`,
    `--cert-fingerprint ${service.fingerprint}`,
    `--on-first-boot ${dir}/first-boot.sh`,
    `--output ${isoOutput(paths.iso, "homelab")}`,
  ].join(" ");
}

/** What the Pi's answer service reads (http/service.json): no secret in it. */
export interface ServiceConfig {
  readonly listen: string;
  readonly port: number;
  readonly answerPath: string;
  readonly webhookPath: string;
  readonly fingerprint: string;
  readonly nodes: readonly { name: string; fqdn: string; mac: string; answer: string }[];
}

export function serviceConfig(lab: LabConfig, service: AnswerService): ServiceConfig {
  if (!lab.raspberryPi) throw new Error("serviceConfig: the lab has no raspberryPi to serve the answers");
  return {
    listen: lab.raspberryPi.address,
    port: lab.proxmox.install.answerPort,
    answerPath: ANSWER_PATH,
    webhookPath: WEBHOOK_PATH,
    fingerprint: service.fingerprint,
    nodes: lab.proxmox.nodes.flatMap((n) =>
      n.install ? [{ name: n.name, fqdn: `${n.name}.${lab.network.domain}`, mac: n.install.mac.toLowerCase(), answer: `${n.name}.toml` }] : [],
    ),
  };
}
