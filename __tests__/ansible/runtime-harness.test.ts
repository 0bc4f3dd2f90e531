/**
 * The runtime converge's data (__tests__/ansible/runtime/hosts.ts), checked without booting
 * anything: every profile names an inventory group of the default lab, fixtures and verify
 * playbooks that exist, and the stand-ins say what they stand in for. The converge itself is
 * `npm run ansible:runtime` (root, minutes), run by .ci/run.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { inventoryData } from "../../constructs/ansible/inventory";
import { loadLab } from "../helpers";
import { PLAYS, PROFILES, SKIP_TAGS } from "./runtime/hosts";
import { NODE_PACKAGES } from "./runtime/lib/images";

const RUNTIME = join(__dirname, "runtime");
const ANSIBLE = join(__dirname, "..", "..", "ansible");

function groupsOf(inventory: any): Map<string, any> {
  const groups = new Map<string, any>();
  const walk = (name: string, group: any) => {
    groups.set(name, group);
    for (const [child, value] of Object.entries(group?.children ?? {})) walk(child, value);
  };
  walk("all", inventory.all);
  return groups;
}

describe("runtime converge data", () => {
  const groups = groupsOf(inventoryData(loadLab()));

  test("every profile is an inventory group of the default lab with hosts to boot", () => {
    for (const profile of PROFILES) {
      expect({ group: profile.group, hosts: Object.keys(groups.get(profile.group)?.hosts ?? {}).length > 0 }).toEqual({ group: profile.group, hosts: true });
    }
  });

  test("every verify playbook and stand-in fixture exists; stand-ins say they are stand-ins", () => {
    for (const profile of PROFILES) {
      for (const playbook of profile.verify) expect(existsSync(join(RUNTIME, "verify", playbook))).toBe(true);
      for (const standIn of profile.standIns) {
        const text = readFileSync(join(RUNTIME, "fixtures", standIn.fixture), "utf8");
        expect({ fixture: standIn.fixture, marked: /STAND-IN/.test(text) }).toEqual({ fixture: standIn.fixture, marked: true });
        expect(standIn.path).toMatch(/^\/etc\/systemd\/system\//);
      }
    }
    for (const fixture of readdirSync(join(RUNTIME, "fixtures"))) {
      expect({ fixture, marked: /STAND-IN/.test(readFileSync(join(RUNTIME, "fixtures", fixture), "utf8")) }).toEqual({ fixture, marked: true });
    }
  });

  test("every play is a playbook of the lab; plays side by side target different groups", () => {
    for (const play of PLAYS) expect(existsSync(join(ANSIBLE, "playbooks", play.playbook))).toBe(true);
    const hostsOf = (playbook: string) =>
      new Set(parse(readFileSync(join(ANSIBLE, "playbooks", playbook), "utf8")).flatMap((p: any) => (p.hosts ? [p.hosts] : [])));
    const lanes = [...new Set(PLAYS.map((p) => p.lane))];
    expect(lanes.length).toBeGreaterThan(1);
    const pi = [...hostsOf("rpi.yml")];
    for (const play of PLAYS.filter((p) => p.lane !== "pi")) expect([...hostsOf(play.playbook)].filter((h) => pi.includes(h))).toEqual([]);
  });

  // The lab network has no mirror: a package a role installs that the node image lacks fails the
  // converge at that task (it did, for prometheus-node-exporter). Every apt task's names, literal,
  // from a role default, or quoted in a Jinja list, must be in the image.
  test("the node image holds every package the roles of the runtime plays install", () => {
    const rolesOf = (playbook: string): string[] =>
      parse(readFileSync(join(ANSIBLE, "playbooks", playbook), "utf8")).flatMap((play: any) =>
        play["ansible.builtin.import_playbook"] ? rolesOf(play["ansible.builtin.import_playbook"]) : (play.roles ?? []).map((r: any) => r.role ?? r),
      );
    const roles = [...new Set(PLAYS.flatMap((p) => rolesOf(p.playbook)))];
    expect(roles).toEqual(expect.arrayContaining(["node_prereqs", "node_exporter", "offsite_backup", "tfc_agent"]));
    const installed = new Map<string, string>();
    for (const role of roles) {
      const dir = join(ANSIBLE, "roles", role);
      const defaultsFile = join(dir, "defaults", "main.yml");
      const defaults = existsSync(defaultsFile) ? (parse(readFileSync(defaultsFile, "utf8")) ?? {}) : {};
      for (const file of readdirSync(join(dir, "tasks"))) {
        for (const task of parse(readFileSync(join(dir, "tasks", file), "utf8")) ?? []) {
          const apt = task["ansible.builtin.apt"];
          if (!apt?.name) continue;
          const names = (value: unknown): string[] => {
            if (Array.isArray(value)) return value.flatMap(names);
            const text = String(value);
            const variable = text.match(/^\{\{\s*(\w+)\s*\}\}$/)?.[1];
            if (variable) return names(defaults[variable]);
            if (text.includes("{{")) {
              return [...text.matchAll(/\[([^\]]*)\]/g)].flatMap((list) => [...list[1].matchAll(/'([a-z0-9][a-z0-9.+-]*)'/g)].map((m) => m[1]));
            }
            return [text];
          };
          for (const name of names(apt.name)) installed.set(name, `${role}/tasks/${file}`);
        }
      }
    }
    expect(installed.size).toBeGreaterThan(10);
    const missing = [...installed].filter(([name]) => !NODE_PACKAGES.includes(name) && !["python3"].includes(name));
    expect(missing).toEqual([]);
  });

  test("the skipped tags are the roles' kernel and cluster tags", () => {
    expect(SKIP_TAGS).toEqual(["needs_kernel", "needs_cluster"]);
  });

  test("each expected boot failure says why a container cannot run it", () => {
    for (const profile of PROFILES) {
      for (const [unit, why] of Object.entries(profile.expectedBootFailures)) {
        expect(unit).toMatch(/\.(service|mount|socket)$/);
        expect(why).toMatch(/container/);
      }
    }
  });
});
