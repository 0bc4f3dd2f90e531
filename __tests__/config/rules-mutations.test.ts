/**
 * Bad configs as a new user writes them: wrong addresses, overlaps, oversized VMs, even server
 * counts, malformed YAML, wrong types. None may throw; every one is refused with problems that name
 * a config path (or file:line:col for YAML) and say something about it.
 */
import { stringify } from "yaml";
import { parseLabYaml, validateLab } from "../../config/load";
import { checkRules, type Problem } from "../../config/rules";
import { labSchema } from "../../config/schema";
import { diagnoseYaml } from "../../doctor/diagnose";
import { buildPlan } from "../../doctor/plan";
import { renderPlan } from "../../doctor/render";
import { labWith, rawLab, setPath } from "../helpers";

function expectRefused(problems: readonly Problem[], path: string) {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.path).not.toBe("");
    expect(p.message).not.toBe("");
  }
  const errors = problems.filter((p) => p.severity === "error");
  if (!errors.some((p) => p.path.includes(path))) {
    throw new Error(`no error at ${path}; got:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`);
  }
}

const USER_MISTAKES: [string, Record<string, unknown>, string][] = [
  ["the LAN written as a bare address", { "network.cidr": "192.168.1.0" }, "network.cidr"],
  ["the gateway in another network", { "network.gateway": "192.168.0.1" }, "network.gateway"],
  ["a node on the network address", { "proxmox.nodes[1].address": "192.168.1.0" }, "proxmox.nodes[1].address"],
  ["a VM given its node's address", { "k3s.servers[0].address": "192.168.1.11" }, "k3s.servers[0].address"],
  ["the VIP inside the MetalLB pool", { "k3s.apiVip": "192.168.1.65" }, "k3s.apiVip"],
  ["the pool spilling into the DHCP range", { "loadBalancer.pool.end": "192.168.1.150" }, "loadBalancer.pool"],
  ["the DHCP range written backwards", { "network.dhcpRange": { start: "192.168.1.199", end: "192.168.1.100" } }, "network.dhcpRange"],
  ["a 32 GiB VM on a 16 GiB host", { "k3s.servers[0].memoryMiB": 32768 }, "k3s.servers[0].memoryMiB"],
  ["16 cores on an 8-thread host", { "k3s.servers[0].cores": 16 }, "k3s.servers[0].cores"],
  ["two servers", { "k3s.servers[2]": undefined }, "k3s.servers"],
  ["no server at all", { "k3s.servers": [] }, "k3s.servers"],
  ["memory written with its unit", { "k3s.servers[1].memoryMiB": "12GB" }, "k3s.servers[1].memoryMiB"],
  ["cores as a string", { "k3s.servers[1].cores": "4" }, "k3s.servers[1].cores"],
  ["a node list that is one object", { "proxmox.nodes": { name: "pve-01" } }, "proxmox.nodes"],
  ["servers as a number", { "k3s.servers": 3 }, "k3s.servers"],
  ["a whole section missing", { network: undefined }, "network"],
  ["a section that is a string", { loadBalancer: "192.168.1.60-79" }, "loadBalancer"],
  ["an unknown app", { "platform.apps.nextcloud": { enabled: true } }, "platform.apps.nextcloud"],
  ["k3s latest", { "k3s.version": "latest" }, "k3s.version"],
  ["replicaCount 0", { "platform.longhorn.replicaCount": 0 }, "platform.longhorn.replicaCount"],
];

describe("new-user mistakes", () => {
  test.each(USER_MISTAKES)("fails when %s", (_why, changes, path) => {
    const raw = labWith(changes);
    const synth = validateLab(raw);
    expect(synth.ok).toBe(false);
    if (!synth.ok) expectRefused(synth.problems, path);
    const doctor = diagnoseYaml(stringify(raw), "homelab.yaml");
    expectRefused(doctor.problems, path);
  });
});

const BAD_YAML: [string, string][] = [
  ["a tab for indentation", "network:\n\tcidr: 192.168.1.0/24\n"],
  ["an unclosed bracket", "network:\n  dnsServers: [192.168.1.1\n"],
  ["a duplicated key", "network: {}\nnetwork: {}\n"],
  ["a key without a colon", "network:\n  cidr: 192.168.1.0/24\n  gateway 192.168.1.1\n"],
];

describe("malformed YAML", () => {
  test.each(BAD_YAML)("fails when %s, naming the file", (_why, text) => {
    const synth = parseLabYaml(text, "homelab.yaml");
    expect(synth.ok).toBe(false);
    if (!synth.ok) expectRefused(synth.problems, "homelab.yaml");
    // The doctor also points at the line and column.
    expectRefused(diagnoseYaml(text, "homelab.yaml").problems, "homelab.yaml:");
    expect(diagnoseYaml(text, "homelab.yaml").problems[0].path).toMatch(/^homelab\.yaml:\d+:\d+$/);
  });

  test.each([
    ["an empty file", ""],
    ["a list instead of a map", "- network\n- proxmox\n"],
    ["a plain word", "homelab\n"],
  ])("fails when the file is %s, at the top level", (_why, text) => {
    const synth = parseLabYaml(text, "homelab.yaml");
    expect(synth.ok).toBe(false);
    if (!synth.ok) expectRefused(synth.problems, "homelab.yaml");
  });

  test("fails when anchors blow up (alias bomb), without a stack trace", () => {
    const layers = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const name of ["b", "c", "d", "e", "f"]) {
      const prev = String.fromCharCode(name.charCodeAt(0) - 1);
      layers.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const { problems } = diagnoseYaml(layers.join("\n") + "\n", "homelab.yaml");
    expect(problems).toEqual([expect.objectContaining({ path: "homelab.yaml", message: expect.stringContaining("alias") })]);
  });
});

/** Every leaf of the default lab, as a config path. */
function leafPaths(node: unknown, prefix = ""): string[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => leafPaths(v, `${prefix}[${i}]`));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

describe("any field, any wrong value", () => {
  const base = rawLab();
  const paths = leafPaths(base);
  const WRONG = [null, "x", -1, {}];

  test("the default lab has many fields to break", () => {
    expect(paths.length).toBeGreaterThan(60);
  });

  test("no leaf set to a wrong value makes validation, the rules or the plan throw", () => {
    let refused = 0;
    for (const path of paths) {
      for (const value of WRONG) {
        const raw = structuredClone(base);
        setPath(raw, path, value);
        const result = validateLab(raw);
        if (!result.ok) {
          refused++;
          for (const p of result.problems) expect(p.path).not.toBe("");
        }
        // What the schema accepts, the doctor must describe, even when the rules refuse it.
        const typed = labSchema.safeParse(raw);
        if (typed.success) renderPlan(buildPlan("homelab.yaml", { lab: typed.data, problems: checkRules(typed.data) }));
      }
    }
    // Most wrong values are refused; the rest are legal (a string field accepts "x").
    expect(refused).toBeGreaterThan(paths.length * WRONG.length * 0.7);
  });
});
