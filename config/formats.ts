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

// ---------------------------------------------------------------------------------------------
// Kubernetes node labels and taints (K3s node-label / node-taint)

/** The name part of a label or taint key, and a label value: 1–63 of [A-Za-z0-9-_.], alphanumeric at both ends. */
const QUALIFIED_NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
/** A label or taint key: an optional DNS-subdomain prefix and `/`, then the name (Kubernetes' qualified name). */
const LABEL_KEY = `((?=[a-z0-9.-]{1,253}/)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*/)?${QUALIFIED_NAME}`;

/** `key=value` as K3s's node-label takes it (the value may be empty). */
export const NODE_LABEL = new RegExp(`^${LABEL_KEY}=(${QUALIFIED_NAME})?$`);

/** The effects a taint can have. */
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** `key=value:Effect` or `key:Effect`, as K3s's node-taint takes it. */
export const NODE_TAINT = new RegExp(`^${LABEL_KEY}(=(${QUALIFIED_NAME})?)?:(${TAINT_EFFECTS.join("|")})$`);

/**
 * Label keys in the kubernetes.io and k8s.io namespaces that the kubelet accepts from its own
 * flags (NodeRestriction): only the node.kubernetes.io/ and kubelet.kubernetes.io/ prefixes. A
 * node-label such as node-role.kubernetes.io/worker stops the kubelet from starting.
 */
export function kubeletRefusesLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return false;
  const prefix = key.slice(0, slash);
  const reserved = ["kubernetes.io", "k8s.io"].some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
  return reserved && prefix !== "node.kubernetes.io" && prefix !== "kubelet.kubernetes.io";
}

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
