/**
 * Checks a lab config the way `npm run doctor` does: the synth checks (YAML, schema, cross-field
 * rules) plus the doctor-only advice. Unlike synth, it keeps the typed lab when only cross-field
 * rules fail, so the plan can be shown next to the problems it explains.
 */
import { parseYamlText, readConfigText, validateLab } from "../config/load";
import { checkRules, DOCTOR_RULES, type Problem } from "../config/rules";
import { labSchema, type LabConfig } from "../config/schema";

export interface Diagnosis {
  /** The typed lab, absent when the file is not valid YAML or fails the schema. */
  readonly lab?: LabConfig;
  readonly problems: readonly Problem[];
}

export function diagnoseYaml(text: string, fileName = "homelab.yaml"): Diagnosis {
  const parsed = parseYamlText(text, fileName);
  if ("problems" in parsed) return { problems: parsed.problems };
  const validated = validateLab(parsed.raw);
  if (validated.ok) return { lab: validated.lab, problems: checkRules(validated.lab, DOCTOR_RULES) };
  // Cross-field errors still leave a well-typed lab: keep it so the plan shows what the errors are about.
  const typed = labSchema.safeParse(parsed.raw);
  if (!typed.success) return { problems: validated.problems };
  return { lab: typed.data, problems: checkRules(typed.data, DOCTOR_RULES) };
}

export function diagnoseFile(file: string): Diagnosis {
  const read = readConfigText(file);
  if ("problems" in read) return { problems: read.problems };
  return diagnoseYaml(read.text, file);
}

export const errorsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "error");
export const warningsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "warning");
