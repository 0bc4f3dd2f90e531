/** The formats the config refuses, at their boundaries: what the target systems accept and refuse. */
import {
  DNS_LABEL,
  DNS_NAME,
  editDistance,
  INTERFACE_NAME,
  isTimeZone,
  nearest,
  SSH_PUBLIC_KEY,
} from "../../config/formats";

describe("time zones a Debian 13 VM accepts", () => {
  test.each(["Europe/Paris", "UTC", "Etc/UTC", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "America/Port-au-Prince"])("accepts %s", (tz) => {
    expect(isTimeZone(tz)).toBe(true);
  });
  test.each(["europe/paris", "Europe/Pariss", "Paris", "US/Eastern", "GMT+1", "", "Europe/ Paris"])("refuses %s", (tz) => {
    expect(isTimeZone(tz)).toBe(false);
  });
});

describe("Linux interface names (IFNAMSIZ)", () => {
  test.each(["vmbr0", "ens18", "enp6s18", "br.lan", "a", "x".repeat(15)])("accepts %s", (name) => expect(INTERFACE_NAME.test(name)).toBe(true));
  test.each(["vmbr 0", "", "x".repeat(16), "eth0:1", "a/b", ".", ".."])("refuses %j", (name) => expect(INTERFACE_NAME.test(name)).toBe(false));
});

describe("DNS labels and names", () => {
  test.each(["a", "pve-01", "a".repeat(63), "0"])("a label may be %s", (l) => expect(DNS_LABEL.test(l)).toBe(true));
  test.each(["", "-a", "a-", "A", "a_b", "a".repeat(64), "a.b"])("a label may not be %j", (l) => expect(DNS_LABEL.test(l)).toBe(false));
  test.each(["home.arpa", "lab.example.org", "localhost"])("a name may be %s", (n) => expect(DNS_NAME.test(n)).toBe(true));
  test.each(["Home.arpa", "a..b", ".a", "a.", `${"a".repeat(64)}.org`])("a name may not be %j", (n) => expect(DNS_NAME.test(n)).toBe(false));
});

describe("SSH public keys", () => {
  test("accepts an ed25519 key with and without a comment", () => {
    expect(SSH_PUBLIC_KEY.test("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI me@laptop")).toBe(true);
    expect(SSH_PUBLIC_KEY.test("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI")).toBe(true);
  });
  test.each([["-----BEGIN OPENSSH", "PRIVATE KEY-----"].join(" "), "ssh-dss AAAAB3", "AAAAC3Nza", "ssh-ed25519"])("refuses %s", (k) =>
    expect(SSH_PUBLIC_KEY.test(k)).toBe(false),
  );
});

describe("suggestions", () => {
  test("edit distance counts insertions, deletions and substitutions", () => {
    expect(editDistance("gatewy", "gateway")).toBe(1);
    expect(editDistance("dnsServer", "dnsServers")).toBe(1);
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
  });
  test("nearest suggests only a likely typo", () => {
    expect(nearest("apiVIP", ["apiVip", "apiHostname"])).toBe("apiVip");
    expect(nearest("favouriteColour", ["cidr", "gateway", "domain"])).toBeUndefined();
  });
});
