/** The formats the config refuses, at their boundaries: what the target systems accept and refuse. */
import {
  cronProblem,
  DNS_LABEL,
  DNS_NAME,
  editDistance,
  INTERFACE_NAME,
  isTimeZone,
  nearest,
  SSH_PUBLIC_KEY,
} from "../../config/formats";

describe("cron lines as K3s and Longhorn read them (5 fields)", () => {
  test.each([
    "0 3 * * *",
    "*/15 * * * *",
    "0 */6 * * *",
    "0 0 1 jan mon",
    "0 0 * * SUN",
    "59 23 31 12 6",
    "0 0 1-15/2 * 1-5",
    "0,30 8-18 * * *",
    "0 0 ? * *",
    "@daily",
    "@hourly",
  ])("accepts %s", (line) => {
    expect(cronProblem(line)).toBeUndefined();
  });

  test.each([
    ["0 0 3 * * *", "6 fields"],
    ["0 3 * *", "4 field(s)"],
    ["60 * * * *", "60 is outside the minute range 0–59"],
    ["0 24 * * *", "24 is outside the hour range 0–23"],
    ["0 0 0 * *", "0 is outside the day of month range 1–31"],
    ["0 0 32 * *", "32 is outside the day of month range 1–31"],
    ["0 0 * 13 *", "13 is outside the month range 1–12"],
    ["0 0 * * 7", "7 is outside the day of week range 0–6"],
    ["*/0 * * * *", "step \"/0\""],
    ["0 10-2 * * *", "goes backwards"],
    ["0 0 * foo *", "\"foo\" is not a valid month value"],
    ["? 0 * * *", "\"?\" is not a valid minute value"],
    ["@every", "is not a cron descriptor"],
    ["", "1 field(s)"],
  ])("refuses %s: %s", (line, words) => {
    expect(cronProblem(line)).toContain(words);
  });
});

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
  test.each(["-----BEGIN OPENSSH PRIVATE KEY-----", "ssh-dss AAAAB3", "AAAAC3Nza", "ssh-ed25519"])("refuses %s", (k) =>
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
