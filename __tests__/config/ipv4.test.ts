import { canonicalCidr, cidrContains, intToIp, ipToInt, isUsableHost, parseCidr, parseRange, rangesOverlap } from "../../config/ipv4";

describe("ipv4", () => {
  test("round-trips addresses through integers", () => {
    expect(intToIp(ipToInt("192.168.1.50"))).toBe("192.168.1.50");
    expect(ipToInt("255.255.255.255")).toBe(0xffffffff);
  });

  test("fails when the address is malformed", () => {
    expect(() => ipToInt("192.168.1.300")).toThrow("not an IPv4 address: 192.168.1.300");
  });

  test("computes network and broadcast", () => {
    const lan = parseCidr("192.168.1.0/24");
    expect(intToIp(lan.network)).toBe("192.168.1.0");
    expect(intToIp(lan.broadcast)).toBe("192.168.1.255");
    expect(canonicalCidr("192.168.1.7/24")).toBe("192.168.1.0/24");
  });

  test("knows usable hosts", () => {
    const lan = parseCidr("192.168.1.0/24");
    expect(isUsableHost(lan, ipToInt("192.168.1.1"))).toBe(true);
    expect(isUsableHost(lan, ipToInt("192.168.1.0"))).toBe(false);
    expect(isUsableHost(lan, ipToInt("192.168.1.255"))).toBe(false);
    expect(cidrContains(lan, ipToInt("192.168.2.1"))).toBe(false);
  });

  test("detects overlapping ranges at their edges", () => {
    const a = parseRange({ start: "192.168.1.60", end: "192.168.1.79" });
    expect(rangesOverlap(a, parseRange({ start: "192.168.1.79", end: "192.168.1.90" }))).toBe(true);
    expect(rangesOverlap(a, parseRange({ start: "192.168.1.80", end: "192.168.1.90" }))).toBe(false);
  });
});
