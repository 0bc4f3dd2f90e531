/**
 * Checks a lab config the way `npm run doctor` does: the synth checks (YAML, schema, cross-field
 * rules) plus the doctor-only advice. Unlike synth, it keeps the typed lab when only cross-field
 * rules fail, so the plan can be shown next to the problems it explains.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { parseLabYaml } from "../config/load";
import { checkRules, DOCTOR_RULES, type Problem } from "../config/rules";
import { labSchema, type LabConfig } from "../config/schema";

export interface Diagnosis {
  /** The typed lab, absent when the file is not valid YAML or fails the schema. */
  readonly lab?: LabConfig;
  readonly problems: readonly Problem[];
}

export function diagnoseYaml(text: string, fileName = "homelab.yaml"): Diagnosis {
  const loaded = parseLabYaml(text, fileName);
  if (loaded.ok) return { lab: loaded.lab, problems: checkRules(loaded.lab, DOCTOR_RULES) };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) return { problems: loaded.problems };
  const parsed = labSchema.safeParse(doc.toJS());
  if (!parsed.success) return { problems: loaded.problems };
  return { lab: parsed.data, problems: checkRules(parsed.data, DOCTOR_RULES) };
}

export function diagnoseFile(file: string): Diagnosis {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { problems: [{ severity: "error", path: file, message: `cannot read the lab config: ${(e as Error).message}` }] };
  }
  return diagnoseYaml(text, file);
}

export const errorsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "error");
export const warningsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "warning");
