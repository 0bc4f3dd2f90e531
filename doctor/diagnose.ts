/**
 * Checks a lab config the way `npm run doctor` does: exactly the synth checks (YAML, schema,
 * cross-field rules), so the doctor and synth refuse the same configs. The typed lab is kept when
 * only cross-field rules fail, so the plan can be shown next to the problems it explains.
 */
import { parseYamlText, readConfigText, validateLab } from "../config/load";
import type { Problem } from "../config/rules";
import type { LabConfig } from "../config/schema";

export interface Diagnosis {
  /** The typed lab, absent when the file is not valid YAML or fails the schema. */
  readonly lab?: LabConfig;
  readonly problems: readonly Problem[];
}

export function diagnoseYaml(text: string, fileName = "homelab.yaml"): Diagnosis {
  const parsed = parseYamlText(text, fileName);
  if ("problems" in parsed) return { problems: parsed.problems };
  const validated = validateLab(parsed.raw, parsed.source, fileName);
  if (validated.ok) return { lab: validated.lab, problems: validated.warnings };
  return { lab: validated.lab, problems: validated.problems };
}

export function diagnoseFile(file: string): Diagnosis {
  const read = readConfigText(file);
  if ("problems" in read) return { problems: read.problems };
  return diagnoseYaml(read.text, file);
}

export const errorsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "error");
export const warningsIn = (problems: readonly Problem[]) => problems.filter((p) => p.severity === "warning");
