/**
 * Every range rule at its boundaries: the last address that passes and the first that fails, on
 * both ends of each range (DHCP range, MetalLB pool, the LAN), plus one-address ranges.
 */
import { validateLab } from "../../config/load";
import { labWith } from "../helpers";

/** Error paths (and messages) of the default lab with some changes. */
function errors(changes: Record<string, unknown>): { path: string; message: string }[] {
  const result = validateLab(labWith(changes));
  return result.ok ? [] : result.problems.filter((p) => p.severity === "error").map(({ path, message }) => ({ path, message }));
}

const paths = (changes: Record<string, unknown>) => errors(changes).map((p) => p.path);

describe("ranges written start–end (rangesAreOrdered)", () => {
  test("a one-address DHCP range passes", () => {
    expect(paths({ "network.dhcpRange": { start: "192.168.1.100", end: "192.168.1.100" } })).toEqual([]);
  });
  test("a one-address MetalLB pool passes when the service IPs fit... and fails on the two that do not", () => {
    const found = errors({ "loadBalancer.pool": { start: "192.168.1.60", end: "192.168.1.60" } });
    expect(found.map((p) => p.path)).toEqual(["loadBalancer.dnsIp", "loadBalancer.gitSshIp"]);
    expect(found[0].message).toContain("is outside the MetalLB pool 192.168.1.60–192.168.1.60");
  });
  test("a range one address backwards fails, saying to swap the ends", () => {
    const found = errors({ "network.dhcpRange": { start: "192.168.1.101", end: "192.168.1.100" } });
    expect(found).toContainEqual({ path: "network.dhcpRange", message: "start 192.168.1.101 is after end 192.168.1.100: swap them" });
  });
});

describe("static addresses and the DHCP range (staticOutsideDhcp)", () => {
  test.each([
    ["just below the range", "192.168.1.99", true],
    ["on its first address", "192.168.1.100", false],
    ["on its last address", "192.168.1.199", false],
    ["just above the range", "192.168.1.200", true],
  ])("a VM %s (%s): accepted %s", (_where, ip, accepted) => {
    const found = paths({ "k3s.servers[0].address": ip });
    if (accepted) expect(found).toEqual([]);
    else expect(found).toEqual(["k3s.servers[0].address"]);
  });

  test("the gateway may sit inside the DHCP range (the box does not lease itself)", () => {
    expect(paths({ "network.gateway": "192.168.1.150" })).toEqual([]);
  });
  test("the gateway on the DHCP range's first address is accepted too", () => {
    expect(paths({ "network.gateway": "192.168.1.100" })).toEqual([]);
  });
});

describe("the MetalLB pool (poolIsConsistent)", () => {
  test.each([
    ["the pool's first address (Traefik moved off it)", "192.168.1.60", true],
    ["the pool's last address", "192.168.1.79", true],
    ["one below the pool", "192.168.1.59", false],
    ["one above the pool", "192.168.1.80", false],
  ])("the DNS service IP on %s (%s): accepted %s", (_where, ip, accepted) => {
    const found = paths({ "loadBalancer.dnsIp": ip, "loadBalancer.ingressIp": "192.168.1.70" });
    if (accepted) expect(found).toEqual([]);
    else expect(found).toEqual(["loadBalancer.dnsIp"]);
  });

  test.each([
    ["the pool's first address", { start: "192.168.1.23", end: "192.168.1.49" }, false],
    ["just outside the pool", { start: "192.168.1.24", end: "192.168.1.49" }, true],
  ])("a VM on %s", (_where, pool, accepted) => {
    const services = { "loadBalancer.ingressIp": "192.168.1.30", "loadBalancer.dnsIp": "192.168.1.31", "loadBalancer.gitSshIp": "192.168.1.32" };
    const found = errors({ "loadBalancer.pool": pool, ...services });
    if (accepted) expect(found).toEqual([]);
    else expect(found).toContainEqual(expect.objectContaining({ path: "loadBalancer.pool, k3s.servers[2].address" }));
  });

  test.each([
    ["touching the DHCP range's first address", { start: "192.168.1.60", end: "192.168.1.100" }, false],
    ["ending just before it", { start: "192.168.1.60", end: "192.168.1.99" }, true],
    ["starting just after its last address", { start: "192.168.1.200", end: "192.168.1.220" }, true],
    ["starting on its last address", { start: "192.168.1.199", end: "192.168.1.220" }, false],
  ])("a pool %s", (_where, pool, accepted) => {
    const inside = pool.start === "192.168.1.60" ? {} : { "loadBalancer.ingressIp": "192.168.1.200", "loadBalancer.dnsIp": "192.168.1.201", "loadBalancer.gitSshIp": "192.168.1.202" };
    const found = paths({ "loadBalancer.pool": pool, ...inside });
    if (accepted) expect(found).toEqual([]);
    else expect(found).toContain("loadBalancer.pool, network.dhcpRange");
  });
});

describe("the LAN (addressesInsideLan)", () => {
  test.each([
    ["the network address", "192.168.1.0", "is the network or broadcast address"],
    ["the broadcast address", "192.168.1.255", "is the network or broadcast address"],
    ["just outside the LAN", "192.168.2.1", "is outside the LAN 192.168.1.0/24"],
  ])("the Pi on %s is refused", (_where, ip, words) => {
    const found = errors({ "raspberryPi.address": ip });
    expect(found).toEqual([expect.objectContaining({ path: "raspberryPi.address", message: expect.stringContaining(words) })]);
  });

  test.each([["the first host", "192.168.1.2"], ["the last host", "192.168.1.254"]])("the Pi on %s passes", (_where, ip) => {
    expect(paths({ "raspberryPi.address": ip })).toEqual([]);
  });

  test("a range ending on the broadcast address is refused at its end", () => {
    const found = paths({ "network.dhcpRange": { start: "192.168.1.100", end: "192.168.1.255" } });
    expect(found).toEqual(["network.dhcpRange.end"]);
  });

  test("a /25 LAN puts .128 and above outside it", () => {
    const found = paths({ "network.cidr": "192.168.1.0/25" });
    expect(found).toEqual(expect.arrayContaining(["network.dhcpRange.end"]));
    expect(found).not.toContain("k3s.servers[0].address");
  });
});
