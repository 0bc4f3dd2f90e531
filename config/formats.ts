/**
 * The formats the lab's values must have, written once. The config schema refuses a value that a
 * target system would refuse (a DNS name, a Linux interface or user name, a tz name, a cron line
 * of K3s or Longhorn); constructs that take such a value directly check it with the same function.
 */

/** A DNS label (RFC 1123): lowercase letters, digits and '-', 1–63 characters, no '-' at either end. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS name of one or more labels, lowercase (e.g. home.arpa, lab.example.org). */
export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A public domain someone owns: at least two labels, the last one a TLD (e.g. lab.example.org). */
export const PUBLIC_DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** A DNS name that may start with a wildcard label (`*.home.arpa`), as certificates list them. */
export const CERTIFICATE_DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** An exact version: no range, no `latest`. K3s versions look like `v1.35.8+k3s1`. */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

/** One OpenSSH public key line: type, base64 body, optional comment. */
export const SSH_PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$/;

/** A Linux user name as Debian's adduser accepts it by default. */
export const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * A Linux network interface name (a Proxmox bridge such as vmbr0, a guest NIC such as ens18): at
 * most 15 bytes (IFNAMSIZ − 1), no '/', ':', whitespace, and not `.` or `..`. Proxmox itself is
 * stricter for bridges; letters, digits, '.', '_' and '-' are what both accept.
 */
export const INTERFACE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/;

export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

export function isDnsName(value: string): boolean {
  return DNS_NAME.test(value);
}

export function isExactVersion(value: string): boolean {
  return EXACT_VERSION.test(value);
}

// ---------------------------------------------------------------------------------------------
// Time zones

/** Areas of the tz database's canonical `Area/Location` names. */
const TZ_AREAS = /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)\/[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)?$/;
const TZ_UTC = new Set(["UTC", "Etc/UTC"]);

/**
 * Names the runtime's tz data (ICU, the same IANA database Debian ships as tzdata) lists. Legacy
 * aliases such as `US/Eastern` are not accepted: Debian 13 moved them to tzdata-legacy, which
 * cloud images do not install, so cloud-init and timedatectl would refuse them.
 */
export function timeZoneNames(): readonly string[] {
  return Intl.supportedValuesOf("timeZone");
}

/**
 * True for a time zone a Debian 13 VM accepts: `UTC`, `Etc/UTC`, or an `Area/Location` name of the
 * tz database, spelt with its exact case (tzdata file names are case-sensitive, ICU is not).
 */
export function isTimeZone(value: string): boolean {
  if (TZ_UTC.has(value)) return true;
  if (!TZ_AREAS.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Cron lines (K3s' etcd-snapshot-schedule-cron and Longhorn recurring jobs both parse them with
// robfig/cron's standard parser: five fields, or a descriptor such as @daily)

const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

const CRON_DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

type CronField = (typeof CRON_FIELDS)[number];

function cronValue(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if ("names" in field) {
    const i = (field.names as readonly string[]).indexOf(text.toLowerCase());
    if (i >= 0) return i + field.min;
  }
  return undefined;
}

/** Why one field of a cron line is wrong, or undefined when it is right. */
function cronFieldProblem(text: string, field: CronField): string | undefined {
  for (const part of text.split(",")) {
    const [rangeText, stepText, ...extra] = part.split("/");
    if (extra.length > 0 || rangeText === "") return `"${part}" is not a valid ${field.name} value`;
    if (stepText !== undefined && !(/^\d+$/.test(stepText) && Number(stepText) > 0)) {
      return `step "/${stepText}" in the ${field.name} field must be a whole number of 1 or more`;
    }
    if (rangeText === "*" || (rangeText === "?" && (field.name === "day of month" || field.name === "day of week"))) continue;
    const [fromText, toText, ...more] = rangeText.split("-");
    if (more.length > 0) return `"${rangeText}" is not a valid ${field.name} range`;
    const from = cronValue(fromText, field);
    const to = toText === undefined ? from : cronValue(toText, field);
    if (from === undefined || to === undefined) return `"${part}" is not a valid ${field.name} value`;
    for (const v of [from, to]) {
      if (v < field.min || v > field.max) return `${v} is outside the ${field.name} range ${field.min}–${field.max}`;
    }
    if (from > to) return `the ${field.name} range ${rangeText} goes backwards`;
  }
  return undefined;
}

/**
 * Why a cron line is not one K3s and Longhorn accept (five fields: minute hour day-of-month month
 * day-of-week, or a descriptor such as @daily), or undefined when they accept it.
 */
export function cronProblem(line: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed.startsWith("@")) {
    if (CRON_DESCRIPTORS.has(trimmed)) return undefined;
    return `"${trimmed}" is not a cron descriptor (use @hourly, @daily, @weekly, @monthly or @yearly)`;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length === 6) {
    return "it has 6 fields, but K3s and Longhorn read 5 (minute hour day month weekday, no seconds): drop the first field";
  }
  if (fields.length !== 5) return `it has ${fields.length} field(s); write 5: minute hour day month weekday, e.g. "0 3 * * *"`;
  for (let i = 0; i < 5; i++) {
    const problem = cronFieldProblem(fields[i], CRON_FIELDS[i]);
    if (problem) return problem;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/** Edit distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The known name closest to `value` (case-insensitive), if it is close enough to be a likely typo:
 * at most a third of its length away, and at least one character.
 */
export function nearest(value: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(value.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(1, Math.floor(Math.max(value.length, best.name.length) / 3)) ? best.name : undefined;
}
