import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigJsonSchema } from "../../config/json-schema";
import { renderConfigReference } from "../../config/reference";
import { formatPath, loadLabFile, validateLab } from "../../config/load";
import { labWith, loadLab, rawLab } from "../helpers";

describe("lab config schema", () => {
  test("the default lab fixture is the dossier's lab", () => {
    const lab = loadLab();
    expect(lab.network.cidr).toBe("192.168.1.0/24");
    expect(lab.network.dhcpRange).toEqual({ start: "192.168.1.100", end: "192.168.1.199" });
    expect(lab.proxmox.nodes.map((n) => [n.name, n.address, n.memoryGiB])).toEqual([
      ["pve-01", "192.168.1.11", 16],
      ["pve-02", "192.168.1.12", 16],
      ["pve-03", "192.168.1.13", 12],
    ]);
    expect(lab.k3s.servers.map((s) => [s.name, s.vmId, s.address, s.proxmoxNode, s.memoryMiB])).toEqual([
      ["k3s-master-1", 201, "192.168.1.21", "pve-01", 12288],
      ["k3s-master-2", 202, "192.168.1.22", "pve-02", 12288],
      ["k3s-master-3", 203, "192.168.1.23", "pve-03", 8192],
    ]);
    expect(lab.k3s.apiVip).toBe("192.168.1.50");
    expect(lab.loadBalancer).toMatchObject({
      pool: { start: "192.168.1.60", end: "192.168.1.79" },
      ingressIp: "192.168.1.60",
      dnsIp: "192.168.1.61",
    });
    expect(lab.raspberryPi).toMatchObject({ name: "rpi-01", address: "192.168.1.5", arch: "arm64" });
  });

  test("defaults are applied to nested optional sections", () => {
    const raw = rawLab();
    delete raw.platform;
    const result = validateLab(raw);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lab.platform.longhorn.replicaCount).toBe(2);
    expect(result.lab.platform.apps.vaultwarden.signupsAllowed).toBe(false);
    expect(result.lab.network.bridge).toBe("vmbr0");
  });

  test("fails when several fields are wrong, with one problem per field", () => {
    const result = validateLab(labWith({ "k3s.apiVip": "nope", "network.gateway": "1.2.3" }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.filter((p) => p.severity === "error").map((p) => p.path).sort()).toEqual(["k3s.apiVip", "network.gateway"]);
  });

  test("formatPath writes array indexes in brackets", () => {
    expect(formatPath(["k3s", "servers", 1, "address"])).toBe("k3s.servers[1].address");
  });

  test("fails when the file does not exist, naming it", () => {
    const result = loadLabFile("/nonexistent/homelab.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0].path).toBe("/nonexistent/homelab.yaml");
  });

  test("the committed JSON Schema matches the zod schema (run `npm run schema`)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "config", "homelab.schema.json"), "utf8");
    expect(committed).toBe(renderConfigJsonSchema());
  });

  test("the committed docs/configuration.md matches the schema (run `npm run schema`)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
    expect(committed).toBe(renderConfigReference());
    expect(committed).toContain("| `k3s.apiVip` | IPv4 address | **required** |");
    expect(committed).toContain("| `network.bridge` | string | `\"vmbr0\"` |");
  });

  test("the JSON Schema rejects unknown keys like the loader does", () => {
    const schema = JSON.parse(renderConfigJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.k3s.additionalProperties).toBe(false);
  });
});

describe("the user's homelab.yaml", () => {
  // The only test that reads the root config: whatever the user wrote must be valid.
  test("is valid", () => {
    const result = loadLabFile(join(__dirname, "..", "..", "homelab.yaml"));
    if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
    expect(result.ok).toBe(true);
  });

  test("references the exported JSON Schema for editors", () => {
    const first = readFileSync(join(__dirname, "..", "..", "homelab.yaml"), "utf8").split("\n")[0];
    expect(first).toBe("# yaml-language-server: $schema=./config/homelab.schema.json");
  });
});
