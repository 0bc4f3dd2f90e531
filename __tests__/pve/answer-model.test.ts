/**
 * The answer model (pve/answer-model.ts) on the project's own fixtures
 * (__tests__/fixtures/pve-answers): every accepted answer passes on the fixture machine, every
 * refused one fails with the problem its `# expect:` line names.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkAnswerText, cidrProblem, fqdnProblem, globToRegExp, isIpAddress, type Machine } from "../../pve/answer-model";
import { FIXTURES } from "../helpers";

const DIR = join(FIXTURES, "pve-answers");
const machine: Machine = JSON.parse(readFileSync(join(DIR, "machine.json"), "utf8"));
const files = (kind: string) => readdirSync(join(DIR, kind)).filter((f) => f.endsWith(".toml")).sort();
const read = (kind: string, file: string) => readFileSync(join(DIR, kind, file), "utf8");

describe.each(files("accepted"))("accepted answer %s", (file) => {
  test("passes the model on the fixture machine, with no warning and nothing left unjudged", () => {
    const check = checkAnswerText(read("accepted", file), machine);
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([]);
    expect(check.unmodelled).toEqual([]);
    expect(check.ok).toBe(true);
  });
});

describe.each(files("refused"))("refused answer %s", (file) => {
  test("is refused with the expected problem", () => {
    const text = read("refused", file);
    const expected = /^# expect: (.*)$/m.exec(text)?.[1];
    expect(expected).toBeDefined();
    const check = checkAnswerText(text, machine);
    expect(check.ok).toBe(false);
    expect(check.problems.join("\n")).toContain(expected);
  });
});

test("there is a refused fixture for each rule family", () => {
  expect(files("refused").length).toBeGreaterThanOrEqual(35);
});

test("the static fixture picks the NIC of its MAC and the disk of its serial", () => {
  const check = checkAnswerText(read("accepted", "static-network-serial-filter.toml"), machine);
  expect(check.selected).toEqual({ nic: "enp1s0", disks: ["0"] });
});

test("snake_case spellings are accepted with a warning, as the installer does until PVE 10", () => {
  const text = read("accepted", "static-network-serial-filter.toml").replace("reboot-mode", "reboot_mode").replace("root-ssh-keys", "root_ssh_keys");
  const check = checkAnswerText(text, machine);
  expect(check.ok).toBe(true);
  expect(check.warnings).toEqual([
    "global.root_ssh_keys: deprecated snake_case spelling, write root-ssh-keys",
    "global.reboot_mode: deprecated snake_case spelling, write reboot-mode",
  ]);
});

test("installer keys the project never writes are reported as unjudged, not refused", () => {
  const text = read("accepted", "zfs-single-disk.toml").replace('zfs.raid = "raid0"', 'zfs.raid = "raid0"\nzfs.arc-max = 2048');
  const check = checkAnswerText(text, machine);
  expect(check.unmodelled).toEqual(["disk-setup.zfs.arc-max"]);
  expect(check.ok).toBe(true);
});

describe("the value checks", () => {
  test.each([
    ["192.168.1.11/24", undefined],
    ["10.0.0.1/31", undefined],
    ["2001:db8::1/64", undefined],
    ["192.168.1.0/24", "network address"],
    ["192.168.1.11/33", "longer than 32"],
    ["2001:db8::1/129", "longer than 128"],
    ["192.168.1.11", "no /prefix"],
    ["192.168.01.11/24", "not an IP address"],
  ])("cidr %s", (cidr, problem) => {
    if (problem === undefined) expect(cidrProblem(cidr)).toBeUndefined();
    else expect(cidrProblem(cidr)).toContain(problem);
  });

  test.each([
    ["pve-01.home.arpa", undefined],
    ["123foo.lan", undefined],
    ["pve", "no domain"],
    ["123.lan", "purely numeric"],
    ["-pve.lan", "invalid label"],
    [`${"a".repeat(64)}.lan`, "invalid label"],
    [`${"a.".repeat(127)}lan`, "more than 253"],
  ])("fqdn %s", (fqdn, problem) => {
    if (problem === undefined) expect(fqdnProblem(fqdn)).toBeUndefined();
    else expect(fqdnProblem(fqdn)).toContain(problem);
  });

  test("IP addresses", () => {
    for (const ok of ["192.168.1.1", "::1", "2001:db8::53", "::ffff:192.168.1.1", "fe80::1:2:3:4"]) expect(isIpAddress(ok)).toBe(true);
    for (const bad of ["192.168.1", "192.168.1.256", "1::2::3", "2001:db8:::1", "box", "1:2:3:4:5:6:7:8:9"]) expect(isIpAddress(bad)).toBe(false);
  });

  test("globs as the installer's filters use them", () => {
    expect(globToRegExp("*a0369f0ab382").test("enxa0369f0ab382")).toBe(true);
    expect(globToRegExp("*a0369f0ab382").test("enxa0369f0ab3821")).toBe(false);
    expect(globToRegExp("Samsung_SSD_9?0*").test("Samsung_SSD_970_EVO")).toBe(true);
    expect(globToRegExp("sd[a-c]").test("sdb")).toBe(true);
    expect(globToRegExp("sd[!a-c]").test("sdb")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });
});
