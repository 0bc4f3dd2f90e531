/**
 * Checks a lab config the way `npm run doctor` does: the synth checks (YAML, schema, cross-field
 * rules) plus the doctor-only advice. Unlike synth, it keeps the typed lab when only cross-field
 * rules fail, so the plan can be shown next to the problems it explains.
 */
import { readFileSync } from "node:fs";
import { parseDocument, type YAMLError } from "yaml";
import { validateLab } from "../config/load";
import { checkRules, DOCTOR_RULES, type Problem } from "../config/rules";
import { labSchema, type LabConfig } from "../config/schema";

export interface Diagnosis {
  /** The typed lab, absent when the file is not valid YAML or fails the schema. */
  readonly lab?: LabConfig;
  readonly problems: readonly Problem[];
}

/** A YAML syntax error as `file:line:col: YAML syntax: …`, without the yaml library's code frame. */
function yamlProblem(fileName: string, e: YAMLError): Problem {
  const where = e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : "?:?";
  const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return { severity: "error", path: `${fileName}:${where}`, message: `YAML syntax: ${message}` };
}

export function diagnoseYaml(text: string, fileName = "homelab.yaml"): Diagnosis {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) return { problems: doc.errors.map((e) => yamlProblem(fileName, e)) };
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    // The yaml library refuses alias bombs here ("Excessive alias count…"): a config problem, not a crash.
    return {
      problems: [{ severity: "error", path: fileName, message: `YAML: ${(e as Error).message}; write the values out instead of using anchors` }],
    };
  }
  const validated = validateLab(raw);
  if (validated.ok) return { lab: validated.lab, problems: checkRules(validated.lab, DOCTOR_RULES) };
  // Cross-field errors still leave a well-typed lab: keep it so the plan shows what the errors are about.
  const parsed = labSchema.safeParse(raw);
  if (!parsed.success) return { problems: validated.problems };
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
