/**
 * Schema messages a person can act on: each names the path, echoes the value as written, says
 * what is expected and how to fix it. One case per kind of mistake a new user makes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLabYaml } from "../../config/load";
import type { Problem } from "../../config/rules";
import { FIXTURES } from "../helpers";

const BASE = readFileSync(join(FIXTURES, "labs", "default.yaml"), "utf8");

/** The default lab's text with one replacement, which must apply. */
function edited(from: string | RegExp, to: string): string {
  const text = BASE.replace(from, to);
  if (text === BASE) throw new Error(`the default lab fixture has no ${String(from)}`);
  return text;
}

function errors(text: string): Problem[] {
  const result = parseLabYaml(text, "homelab.yaml");
  return result.ok ? [] : result.problems.filter((p) => p.severity === "error");
}

function only(text: string): Problem {
  const found = errors(text);
  if (found.length !== 1) throw new Error(`expected one error, got:\n${found.map((p) => `${p.path}: ${p.message}`).join("\n")}`);
  return found[0];
}

describe("a value of the wrong kind", () => {
  test.each([
    ["12GB", "12288"],
    ["12 GB", "12288"],
    ["12G", "12288"],
    ["12GiB", "12288"],
    ["12288MiB", "12288"],
    ["1.5GiB", "1536"],
  ])("fails when memoryMiB is %s: echoes it and converts it to %s MiB", (written, mib) => {
    const p = only(edited("memoryMiB: 12288", `memoryMiB: ${written}`));
    expect(p.path).toBe("k3s.servers[0].memoryMiB");
    expect(p.message).toContain(`got "${written}", a text`);
    expect(p.message).toContain("expected a whole number of MiB from 2048 to 4194304");
    expect(p.message).toContain(`write the number of MiB without the unit: memoryMiB: ${mib}`);
  });

  test("fails when a GiB field is written in MiB, converting it", () => {
    const p = only(edited("memoryGiB: 12", "memoryGiB: 12288 MiB"));
    expect(p.message).toContain("memoryGiB: 12");
  });

  test("fails when a number is quoted: write it without quotes", () => {
    const p = only(edited("cores: 4", 'cores: "4"'));
    expect(p.message).toContain('got "4", a text');
    expect(p.message).toContain("write it without quotes: cores: 4");
  });

  test("fails when a string is given where a list is expected: write it as a list", () => {
    const p = only(edited("dnsServers: [192.168.1.1]", "dnsServers: 192.168.1.1"));
    expect(p.path).toBe("network.dnsServers");
    expect(p.message).toContain('got "192.168.1.1", a text; expected a list of at least 1');
    expect(p.message).toContain("write it as a list, even with one item: dnsServers: [192.168.1.1]");
  });

  test("fails when a fraction is given where a whole number is expected: the two nearest", () => {
    const p = only(edited("cores: 4", "cores: 2.5"));
    expect(p.message).toBe("got 2.5, a number; expected a whole number from 1 to 512: use a whole number: 2 or 3");
  });

  test("fails when a text is given where true/false is expected: the boolean it means", () => {
    const p = only(edited("secondaryDns: true", "secondaryDns: enabled"));
    expect(p.message).toContain("expected true or false: write secondaryDns: true");
  });

  test("fails when a version is written as a number: quote it", () => {
    const p = only(edited("apiHostname: k3s", "apiHostname: 3"));
    expect(p.path).toBe("k3s.apiHostname");
    expect(p.message).toContain('quote it so YAML keeps it as text: apiHostname: "3"');
  });
});

describe("numbers out of range, with the schema's bounds and never JavaScript's", () => {
  test.each([
    ["99999999999999999999", "use a value of at most 4194304"],
    ["1e400", "YAML reads it as infinity"],
    ["1024", "use a value of at least 2048"],
    ["-8192", "use a value of at least 2048"],
  ])("fails when memoryMiB is %s", (written, fix) => {
    const p = only(edited("memoryMiB: 12288", `memoryMiB: ${written}`));
    expect(p.message).toContain(`got ${written}`);
    expect(p.message).toContain("expected a whole number of MiB from 2048 to 4194304");
    expect(p.message).toContain(fix);
    expect(p.message).not.toMatch(/9007199254740991|received number|Too big|Too small/);
  });

  test("the schema's boundaries themselves are accepted (the capacity rules may still refuse a small VM)", () => {
    const schemaErrors = (text: string) => errors(text).filter((p) => p.message.includes("expected a whole number"));
    expect(schemaErrors(edited("memoryMiB: 8192", "memoryMiB: 2048"))).toEqual([]);
    expect(schemaErrors(edited("memoryMiB: 8192", "memoryMiB: 4194304"))).toEqual([]);
    expect(schemaErrors(edited("memoryMiB: 8192", "memoryMiB: 2047"))[0].message).toContain("of at least 2048");
    expect(schemaErrors(edited("memoryMiB: 8192", "memoryMiB: 4194305"))[0].message).toContain("of at most 4194304");
  });
});

describe("the file as a whole", () => {
  test.each([["an empty file", ""], ["only comments", "# nothing yet\n"]])("fails on %s: one line, how to start", (_why, text) => {
    const p = only(text);
    expect(p.path).toBe("homelab.yaml");
    expect(p.message).toContain("is empty");
    expect(p.message).toContain("git checkout homelab.yaml");
  });

  test("fails on one tab-indented line with one problem, not one per cascading error", () => {
    const found = errors(edited("  cidr:", "\tcidr:"));
    expect(found).toHaveLength(1);
    expect(found[0].path).toMatch(/^homelab\.yaml:\d+:1$/);
    expect(found[0].message).toContain("is indented with a tab; YAML indents with spaces only");
  });

  test("fails on a syntax error with the first error only, saying the rest may follow from it", () => {
    const found = errors(edited("gateway: 192.168.1.1", "gateway: [192.168.1.1"));
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/^YAML syntax: /);
  });
});

describe("keys", () => {
  test("fails on a misspelt required key once, with the key it means", () => {
    const found = errors(edited("dnsServers:", "dnsServer:"));
    expect(found).toEqual([
      {
        severity: "error",
        path: "network.dnsServer",
        message: 'unknown key "dnsServer": did you mean dnsServers? It is required and missing: rename dnsServer to dnsServers',
      },
    ]);
  });

  test("fails on a misspelt optional key with the nearest known key", () => {
    const p = only(edited("  bridge: vmbr0", "  brige: vmbr0"));
    expect(p.message).toBe('unknown key "brige": did you mean bridge? Rename it, or remove it');
  });

  test("fails on an unknown key nothing resembles, listing the known keys", () => {
    const p = only(edited("  bridge: vmbr0", "  bridge: vmbr0\n  favouriteColour: blue"));
    expect(p.message).toContain('unknown key "favouriteColour": remove it; the keys here are cidr, gateway, dnsServers');
  });

  test("fails on a missing key with an example to copy", () => {
    const p = only(edited(/  apiVip: .*\n/, ""));
    expect(p).toEqual({ severity: "error", path: "k3s.apiVip", message: "is required, an IPv4 address: add it, e.g. apiVip: 192.168.1.50" });
  });
});

describe("values a target system would refuse", () => {
  test.each([
    ["the bridge name has a space", "bridge: vmbr0", "bridge: vmbr 0", "network.bridge", 'got "vmbr 0"; must be a Linux interface name'],
    ["the time zone is misspelt", "timezone: Europe/Paris", "timezone: Europe/Pariss", "vm.timezone", "did you mean Europe/Paris?"],
    ["the time zone is lower-case", "timezone: Europe/Paris", "timezone: europe/paris", "vm.timezone", "did you mean Europe/Paris?"],
    ["the Longhorn backup has 6 cron fields", "  longhorn:\n", '  longhorn:\n    backupSchedule: "0 0 3 * * *"\n', "platform.longhorn.backupSchedule", "drop the first field"],
    ["there is no NTP server", "  timezone: Europe/Paris", "  timezone: Europe/Paris\n  ntpServers: []", "vm.ntpServers", "needs at least one NTP server"],
    ["a host name has upper case", "name: rpi-01", "name: RPi-01", "raspberryPi.name", "must be a DNS label"],
  ])("fails when %s", (_why, from, to, path, words) => {
    const p = only(edited(from, to));
    expect(p.path).toBe(path);
    expect(p.message).toContain(words);
  });
});

describe("one round: schema and rule problems together", () => {
  test("a type error in one section does not hide a rule error in the others", () => {
    const text = edited("timezone: Europe/Paris", "timezone: 5").replace("ingressIp: 192.168.1.60", "ingressIp: 192.168.1.150");
    const found = errors(text).map((p) => p.path);
    expect(found).toContain("vm.timezone");
    expect(found).toContain("loadBalancer.ingressIp");
  });

  test("rules that read a section with a schema error do not run", () => {
    // The k3s section is invalid: the address rules (which read it) must not run on a half-checked lab.
    const text = edited("apiVip: 192.168.1.50", "apiVip: 192.168.1.500").replace("ingressIp: 192.168.1.60", "ingressIp: 192.168.1.150");
    expect(errors(text).map((p) => p.path)).toEqual(["k3s.apiVip"]);
  });
});
