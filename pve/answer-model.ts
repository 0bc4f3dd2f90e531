/**
 * A model of the Proxmox VE automated installer's answer file (answer.toml), written from the
 * documented keys and rules (pve.proxmox.com/wiki/Automated_Installation) to check every answer
 * this project generates before it reaches a USB stick or the Pi. It refuses what the installer
 * refuses: unknown keys, missing required keys, the mutually exclusive pairs (root-password /
 * root-password-hashed, disk-list / filter, a static network under `source = "from-dhcp"`), an FQDN
 * without a domain, malformed cidr / gateway / dns, a keyboard, country or timezone outside the
 * installer's tables, and — given the machine's devices — filters that match no NIC or disk.
 *
 * Keys the installer knows but this project never writes are not modelled (UNMODELLED_KEYS); an
 * answer that uses one is reported as such rather than judged. scripts/check-pve-reference.ts
 * compares the model with the installer's own accepted and refused cases.
 */
import { parse } from "smol-toml";
import { COUNTRIES, installerAcceptsTimezone, KEYBOARDS } from "./locales";

/** Devices of one machine as the installer sees them (udev properties), for filter matching. */
export interface Machine {
  /** NIC name -> udev properties (ID_NET_NAME_MAC, ID_NET_NAME, …). */
  readonly nics: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Disk index -> its device path and udev properties (ID_SERIAL_SHORT, ID_MODEL, …). */
  readonly disks: Readonly<Record<string, { readonly path: string; readonly props: Readonly<Record<string, string>> }>>;
}

export interface AnswerCheck {
  /** The installer would accept the answer (on `machine`, when given). */
  readonly ok: boolean;
  /** Why it would not: one line per problem, naming the key. */
  readonly problems: readonly string[];
  /** Accepted but deprecated (snake_case spellings): generated answers must have none. */
  readonly warnings: readonly string[];
  /** Installer keys the model does not judge; when not empty, `ok` says nothing about them. */
  readonly unmodelled: readonly string[];
  /** With a machine: the NIC the network filter picks and the disks the disk setup picks. */
  readonly selected?: { readonly nic?: string; readonly disks: readonly string[] };
  /** The parsed answer, when the TOML parsed. */
  readonly answer?: Record<string, unknown>;
}

/**
 * Keys the installer accepts that the model leaves to the installer: the FQDN-from-DHCP table,
 * interface name pinning, and the filesystem tuning options (sizes, ZFS/Btrfs properties).
 * `table`: only when the key holds a table (a plain `fqdn = "…"` string is modelled).
 */
export const UNMODELLED_KEYS: readonly { readonly path: string; readonly table?: true }[] = [
  { path: "global.fqdn", table: true },
  { path: "network.interface-name-pinning" },
  { path: "disk-setup.lvm" },
  ...["ashift", "arc-max", "arc_max", "checksum", "compress", "copies", "hdsize"].map((k) => ({ path: `disk-setup.zfs.${k}` })),
  ...["hdsize", "compress"].map((k) => ({ path: `disk-setup.btrfs.${k}` })),
];

const RAID_MIN_DISKS: Record<"zfs" | "btrfs", Record<string, number>> = {
  zfs: { RAID0: 1, RAID1: 2, RAID10: 4, "RAIDZ-1": 3, "RAIDZ-2": 4, "RAIDZ-3": 5 },
  btrfs: { RAID0: 1, RAID1: 2, RAID10: 4 },
};

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Shell-style glob (as the installer's filters use): `*`, `?`, `[abc]`, `[a-z]`, `[!a]`. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) throw new Error(`unclosed [ in glob ${glob}`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^" : ""}${body.replace(/[\\^\]]/g, "\\$&")}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "s");
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function isIpv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.split("::").length > 2) return false;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const all = [...groups(head), ...groups(tail)];
  const last = all[all.length - 1];
  const v4 = last !== undefined && last.includes(".") ? parseIpv4(last) : undefined;
  if (last !== undefined && last.includes(".") && !v4) return false;
  const hex = v4 ? all.slice(0, -1) : all;
  if (!hex.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return tail === undefined ? count === 8 : count < 8;
}

export const isIpAddress = (text: string): boolean => parseIpv4(text) !== undefined || isIpv6(text);

/** `address/prefix` with the prefix within the family's width and, for IPv4 below /31, a host address. */
export function cidrProblem(text: string): string | undefined {
  const slash = text.indexOf("/");
  if (slash === -1) return "has no /prefix, e.g. 192.168.1.11/24";
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!isIpAddress(addr)) return `${addr} is not an IP address`;
  if (!/^\d+$/.test(prefixText)) return `/${prefixText} is not a prefix length`;
  const prefix = Number(prefixText);
  const v4 = parseIpv4(addr);
  if (prefix > (v4 ? 32 : 128)) return `/${prefix} is longer than ${v4 ? 32 : 128}`;
  if (v4 && prefix < 31) {
    const n = v4.reduce((acc, o) => acc * 256 + o, 0);
    if (n % 2 ** (32 - prefix) === 0) return `${addr} is the network address of /${prefix}: give the host's own address`;
  }
  return undefined;
}

/** The installer's FQDN rules: at least host.domain, DNS labels of ≤ 63, ≤ 253 in all, host not purely numeric. */
export function fqdnProblem(fqdn: string): string | undefined {
  if (fqdn.length > 253) return `is ${fqdn.length} characters, more than 253`;
  const labels = fqdn.split(".");
  const bad = labels.find((l) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (bad !== undefined) return `has an invalid label "${bad}" (letters, digits and '-', 63 at most)`;
  if (labels.length < 2) return "has no domain: the installer wants a fully-qualified name such as pve-01.home.arpa";
  if (/^\d+$/.test(labels[0])) return "has a purely numeric hostname";
  return undefined;
}

const SHA256_FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;

interface KeySpec {
  /** Deprecated snake_case spelling the installer still accepts (with a warning). */
  alias?: string;
  check: (value: unknown, path: string) => string | undefined;
}

const str = (value: unknown) => (typeof value === "string" ? undefined : "must be a string");
const oneOf = (...values: string[]) => (value: unknown) =>
  typeof value === "string" && values.includes(value) ? undefined : `must be one of ${values.join(", ")}`;
const bool = (value: unknown) => (typeof value === "boolean" ? undefined : "must be true or false");
const strings = (value: unknown) =>
  Array.isArray(value) && value.every((v) => typeof v === "string") ? undefined : "must be a list of strings";
const stringTable = (value: unknown) =>
  isTable(value) && Object.values(value).every((v) => typeof v === "string") ? undefined : "must be a table of strings";
const fingerprint = (value: unknown) =>
  typeof value === "string" && SHA256_FINGERPRINT.test(value) ? undefined : "must be a SHA-256 fingerprint (32 hex bytes, ':'-separated)";
const url = (value: unknown) =>
  typeof value === "string" && /^https?:\/\/[^\s/]+/.test(value) ? undefined : "must be an http(s):// URL";

const SECTIONS: Record<string, { required: boolean; keys: Record<string, KeySpec> }> = {
  global: {
    required: true,
    keys: {
      keyboard: { check: (v) => (typeof v === "string" && Object.hasOwn(KEYBOARDS, v) ? undefined : "is not a keyboard layout of the installer") },
      country: { check: (v) => (typeof v === "string" && Object.hasOwn(COUNTRIES, v) ? undefined : "is not a country code of the installer") },
      fqdn: { check: (v) => (typeof v === "string" ? fqdnProblem(v) : "must be a fully-qualified domain name") },
      mailto: { check: str },
      timezone: { check: (v) => (typeof v === "string" && installerAcceptsTimezone(v) ? undefined : "is not a timezone of the installer") },
      "root-password": { alias: "root_password", check: (v) => str(v) ?? ((v as string).length < 8 ? "must be at least 8 characters long" : undefined) },
      "root-password-hashed": { alias: "root_password_hashed", check: str },
      "reboot-on-error": { alias: "reboot_on_error", check: bool },
      "reboot-mode": { alias: "reboot_mode", check: oneOf("reboot", "power-off") },
      "root-ssh-keys": { alias: "root_ssh_keys", check: strings },
    },
  },
  network: {
    required: true,
    keys: {
      source: { check: oneOf("from-dhcp", "from-answer") },
      cidr: { check: (v) => (typeof v === "string" ? cidrProblem(v) : "must be a string such as 192.168.1.11/24") },
      dns: { check: (v) => (typeof v === "string" && isIpAddress(v) ? undefined : "must be an IP address") },
      gateway: { check: (v) => (typeof v === "string" && isIpAddress(v) ? undefined : "must be an IP address") },
      filter: { check: stringTable },
    },
  },
  "disk-setup": {
    required: true,
    keys: {
      filesystem: { check: oneOf("ext4", "xfs", "zfs", "btrfs") },
      "disk-list": { alias: "disk_list", check: strings },
      filter: { check: stringTable },
      "filter-match": { alias: "filter_match", check: oneOf("any", "all") },
      zfs: { check: (v) => (isTable(v) ? undefined : "must be a table") },
      btrfs: { check: (v) => (isTable(v) ? undefined : "must be a table") },
    },
  },
  "first-boot": {
    required: false,
    keys: {
      source: { check: oneOf("from-iso", "from-url") },
      ordering: { check: oneOf("before-network", "network-online", "fully-up") },
      url: { check: url },
      "cert-fingerprint": { alias: "cert_fingerprint", check: fingerprint },
    },
  },
  "post-installation-webhook": {
    required: false,
    keys: {
      url: { check: url },
      "cert-fingerprint": { alias: "cert_fingerprint", check: fingerprint },
    },
  },
};

function valueAt(table: Table, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (isTable(node) ? node[key] : undefined), table);
}

/** Installer keys of the answer that the model does not judge (see UNMODELLED_KEYS). */
export function unmodelledKeysOf(answer: Table): string[] {
  return UNMODELLED_KEYS.filter(({ path, table }) => {
    const value = valueAt(answer, path);
    return value !== undefined && (!table || isTable(value));
  }).map(({ path }) => path);
}

/** Normalises one section: kebab-case names for deprecated aliases, and records what is wrong. */
function readSection(
  name: string,
  value: unknown,
  problems: string[],
  warnings: string[],
  skip: readonly string[],
): Table | undefined {
  const spec = SECTIONS[name];
  if (!isTable(value)) {
    problems.push(`[${name}] must be a table`);
    return undefined;
  }
  const out: Table = {};
  for (const [rawKey, v] of Object.entries(value)) {
    const path = `${name}.${rawKey}`;
    if (skip.some((u) => path === u || path.startsWith(`${u}.`))) continue;
    const entry = Object.entries(spec.keys).find(([key, s]) => key === rawKey || s.alias === rawKey);
    if (!entry) {
      problems.push(`${path}: unknown key (the installer refuses unknown keys)`);
      continue;
    }
    const [key, keySpec] = entry;
    if (rawKey !== key) {
      if (Object.hasOwn(value, key)) {
        problems.push(`${path}: duplicate of ${name}.${key} (the same key in two spellings)`);
        continue;
      }
      warnings.push(`${path}: deprecated snake_case spelling, write ${key}`);
    }
    const problem = keySpec.check(v, `${name}.${key}`);
    if (problem) problems.push(`${name}.${key}: ${JSON.stringify(v)} ${problem}`);
    else out[key] = v;
  }
  return out;
}

/** Every NIC, in name order (as the installer iterates), that one of the filter's entries matches. */
export function nicsMatching(filter: Record<string, string>, machine: Machine): string[] {
  return Object.keys(machine.nics)
    .sort()
    .filter((name) => Object.entries(filter).some(([key, glob]) => machine.nics[name][key] !== undefined && globToRegExp(glob).test(machine.nics[name][key])));
}

/** The installer takes the first matching NIC. */
const matchNic = (filter: Record<string, string>, machine: Machine): string | undefined => nicsMatching(filter, machine)[0];

/** Every disk, in index order, that the filter matches (any entry, or all with filter-match = "all"). */
export function matchDisks(filter: Record<string, string>, machine: Machine, all: boolean): string[] {
  const sorted = Object.keys(machine.disks).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((index) => {
    const props = machine.disks[index].props;
    const results = Object.entries(filter)
      .filter(([key]) => props[key] !== undefined)
      .map(([key, glob]) => globToRegExp(glob).test(props[key]));
    return all ? results.every(Boolean) : results.some(Boolean);
  });
}

/** Checks a parsed answer; with a machine, also that its filters and disk list pick devices. */
export function checkAnswer(answer: Table, machine?: Machine): AnswerCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  const unmodelled = unmodelledKeysOf(answer);
  const sections: Record<string, Table | undefined> = {};
  for (const [name, value] of Object.entries(answer)) {
    const section = Object.keys(SECTIONS).find((s) => s === name);
    if (!section) problems.push(`[${name}]: unknown section (the installer refuses unknown keys)`);
    else sections[section] = readSection(section, value, problems, warnings, unmodelled);
  }
  for (const [name, spec] of Object.entries(SECTIONS)) {
    if (spec.required && !(name in answer)) problems.push(`[${name}]: missing section`);
  }

  const global = sections.global;
  if (global) {
    for (const key of ["keyboard", "country", "fqdn", "mailto", "timezone"]) {
      if (!(key in global) && !problems.some((p) => p.startsWith(`global.${key}:`)) && !unmodelled.includes(`global.${key}`)) {
        problems.push(`global.${key}: missing`);
      }
    }
    const plain = "root-password" in global || problems.some((p) => p.startsWith("global.root-password:"));
    const hashed = "root-password-hashed" in global;
    if (plain && hashed) problems.push("global.root-password, global.root-password-hashed: set one of them, not both");
    if (!plain && !hashed) problems.push("global.root-password-hashed: missing (one of root-password and root-password-hashed must be set)");
  }

  let nic: string | undefined;
  const network = sections.network;
  if (network) {
    const statics = ["cidr", "dns", "gateway", "filter"];
    if ((network.source ?? "from-dhcp") === "from-answer") {
      for (const key of statics) {
        if (!(key in network) && !problems.some((p) => p.startsWith(`network.${key}:`))) problems.push(`network.${key}: missing (source = "from-answer" needs it)`);
      }
      const filter = network.filter as Record<string, string> | undefined;
      if (filter && Object.keys(filter).length === 0) problems.push("network.filter: empty (no filter defined)");
      else if (filter && machine) {
        nic = matchNic(filter, machine);
        if (!nic) problems.push(`network.filter: ${JSON.stringify(filter)} matches no NIC of the machine`);
      }
    } else {
      for (const key of statics) {
        if (key in network) problems.push(`network.${key}: not allowed with source = "from-dhcp"`);
      }
    }
  }

  let disks: string[] = [];
  const disk = sections["disk-setup"];
  if (disk && typeof disk.filesystem === "string") {
    const fs = disk.filesystem as "ext4" | "xfs" | "zfs" | "btrfs";
    const list = (disk["disk-list"] as string[] | undefined) ?? [];
    const filter = disk.filter as Record<string, string> | undefined;
    const hasFilter = filter !== undefined && Object.keys(filter).length > 0;
    if (list.length === 0 && !hasFilter) problems.push("disk-setup: set disk-list or filter (neither is set)");
    if (list.length > 0 && hasFilter) problems.push("disk-setup.disk-list, disk-setup.filter: use one of them, not both");
    const dup = list.find((d, i) => list.indexOf(d) !== i);
    if (dup) problems.push(`disk-setup.disk-list: ${dup} is listed twice`);
    const lvm = fs === "ext4" || fs === "xfs";
    for (const other of ["zfs", "btrfs"] as const) {
      if (other !== fs && other in disk) problems.push(`disk-setup.${other}: not allowed with filesystem = "${fs}"`);
    }
    if (lvm && list.length > 1) problems.push(`disk-setup.disk-list: ${fs} installs on one disk, ${list.length} are listed`);
    let raid: string | undefined;
    if (!lvm) {
      const opts = disk[fs] as Table | undefined;
      const level = opts?.raid;
      const known = RAID_MIN_DISKS[fs];
      const canonical = typeof level === "string" ? Object.keys(known).find((k) => k === level || k.toLowerCase() === level) : undefined;
      for (const key of Object.keys(opts ?? {})) {
        if (key !== "raid" && !unmodelled.includes(`disk-setup.${fs}.${key}`)) problems.push(`disk-setup.${fs}.${key}: unknown key`);
      }
      if (level === undefined) problems.push(`disk-setup.${fs}.raid: missing (${fs} needs a RAID level, RAID0 for one disk)`);
      else if (!canonical) problems.push(`disk-setup.${fs}.raid: ${JSON.stringify(level)} must be one of ${Object.keys(known).join(", ")}`);
      raid = canonical;
    }
    if (machine) {
      if (list.length > 0) {
        const found = (name: string) => Object.keys(machine.disks).find((i) => machine.disks[i].path.endsWith(name));
        disks = lvm ? [found(list[0])].filter((d): d is string => d !== undefined) : [...new Set(list.map(found).filter((d): d is string => d !== undefined))];
        if (disks.length === 0) problems.push(`disk-setup.disk-list: ${list.join(", ")} not found on the machine`);
      } else if (hasFilter) {
        const all = disk["filter-match"] === "all";
        const matched = matchDisks(filter!, machine, all);
        disks = lvm ? matched.slice(0, 1) : matched;
        if (disks.length === 0) problems.push(`disk-setup.filter: ${JSON.stringify(filter)} matches no disk of the machine`);
      }
    } else {
      disks = list;
    }
    if (raid && disks.length > 0 && disks.length < RAID_MIN_DISKS[fs as "zfs" | "btrfs"][raid]) {
      problems.push(`disk-setup.${fs}.raid: ${raid} needs at least ${RAID_MIN_DISKS[fs as "zfs" | "btrfs"][raid]} disks, got ${disks.length}`);
    }
  }

  const firstBoot = sections["first-boot"];
  if (firstBoot) {
    if (!("source" in firstBoot)) problems.push("first-boot.source: missing");
    if (firstBoot.source === "from-url" && !("url" in firstBoot)) problems.push('first-boot.url: missing (source = "from-url" needs it)');
    if (firstBoot.source === "from-iso") {
      for (const key of ["url", "cert-fingerprint"]) {
        if (key in firstBoot) problems.push(`first-boot.${key}: not used with source = "from-iso" (the script is on the ISO)`);
      }
    }
  }
  const webhook = sections["post-installation-webhook"];
  if (webhook && !("url" in webhook)) problems.push("post-installation-webhook.url: missing");

  return {
    ok: problems.length === 0,
    problems,
    warnings,
    unmodelled,
    selected: machine ? { nic, disks } : undefined,
    answer,
  };
}

/** Parses answer.toml text and checks it (a TOML syntax error is a refusal). */
export function checkAnswerText(text: string, machine?: Machine): AnswerCheck {
  let answer: Table;
  try {
    answer = parse(text) as Table;
  } catch (err) {
    return { ok: false, problems: [`not valid TOML: ${(err as Error).message.split("\n")[0]}`], warnings: [], unmodelled: [] };
  }
  return checkAnswer(answer, machine);
}
