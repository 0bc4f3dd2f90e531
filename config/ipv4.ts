/** Small, dependency-free IPv4 arithmetic for the config rules (addresses as unsigned 32-bit ints). */

export function ipToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** True for a dotted-quad IPv4 address without prefix (each part 0–255, no leading zeros). */
export function isIpv4(ip: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(ip);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export interface Cidr {
  network: number;
  prefix: number;
  broadcast: number;
}

export function parseCidr(cidr: string): Cidr {
  const [ip, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipToInt(ip) & mask) >>> 0;
  return { network, prefix, broadcast: (network | (~mask >>> 0)) >>> 0 };
}

/** The address `cidr` actually names, e.g. 192.168.1.0/24 for "192.168.1.7/24". */
export function canonicalCidr(cidr: string): string {
  const c = parseCidr(cidr);
  return `${intToIp(c.network)}/${c.prefix}`;
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.network && ip <= cidr.broadcast;
}

/** Usable host address: inside the network, neither its network nor its broadcast address. */
export function isUsableHost(cidr: Cidr, ip: number): boolean {
  if (cidr.prefix >= 31) return cidrContains(cidr, ip);
  return ip > cidr.network && ip < cidr.broadcast;
}

export interface IpRange {
  start: number;
  end: number;
}

export function parseRange(range: { start: string; end: string }): IpRange {
  return { start: ipToInt(range.start), end: ipToInt(range.end) };
}

export function rangeContains(range: IpRange, ip: number): boolean {
  return ip >= range.start && ip <= range.end;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function rangeSize(range: IpRange): number {
  return range.end - range.start + 1;
}
