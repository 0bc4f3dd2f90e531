import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing, type TerraformStack } from "cdktf";
import { parse } from "yaml";
import { validateLab } from "../config/load";
import type { LabConfig } from "../config/schema";

export const FIXTURES = join(__dirname, "fixtures");

/** The raw (unvalidated) object of a lab fixture under __tests__/fixtures/labs. */
export function rawLab(name = "default"): Record<string, any> {
  return parse(readFileSync(join(FIXTURES, "labs", `${name}.yaml`), "utf8"));
}

/** A validated lab fixture; throws with the problems when it is invalid. */
export function loadLab(name = "default"): LabConfig {
  return validLab(rawLab(name));
}

export function validLab(raw: unknown): LabConfig {
  const result = validateLab(raw);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  return result.lab;
}

/** Sets `value` at a config path such as `k3s.servers[1].address` (creating objects on the way). */
export function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
  let node: any = target;
  keys.slice(0, -1).forEach((key, i) => {
    if (node[key] === undefined) node[key] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    node = node[key];
  });
  const last = keys[keys.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
}

/** A copy of the default lab with some paths changed (undefined deletes). */
export function labWith(changes: Record<string, unknown>, base = "default"): Record<string, any> {
  const raw = structuredClone(rawLab(base));
  for (const [path, value] of Object.entries(changes)) setPath(raw, path, value);
  return raw;
}

export function fixtureNames(folder: string): string[] {
  return readdirSync(join(FIXTURES, folder))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.replace(/\.yaml$/, ""))
    .sort();
}

/** Synthesized Terraform JSON of one stack, as an object. */
export function synthJson(stack: TerraformStack): Record<string, any> {
  return JSON.parse(Testing.synth(stack));
}
