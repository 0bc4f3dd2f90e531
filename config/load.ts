/**
 * Reads and validates a lab config. Only entry points (main.ts, scripts) call `loadLabFile`;
 * stacks and constructs receive the validated `LabConfig`. Synth and the doctor both go through
 * `validateLab`, so they refuse exactly the same configs.
 */
import { readFileSync } from "node:fs";
import { parseDocument, type YAMLError } from "yaml";
import { formatPath, schemaProblems, type SourceText } from "./messages";
import { checkRules, RULES, SECTIONS, type Problem, type Section } from "./rules";
import { labSchema, type LabConfig } from "./schema";

export { formatPath };

export type LoadResult =
  | { ok: true; lab: LabConfig; warnings: Problem[] }
  /** `lab` is the typed config when only cross-field rules failed: the doctor shows its plan beside the errors. */
  | { ok: false; problems: Problem[]; lab?: LabConfig };

/**
 * The sections of a config that pass the schema on their own, parsed (defaults applied). The rules
 * whose sections all pass still run when another section has a schema error, so one run reports
 * both kinds of problem.
 */
function validSections(raw: unknown): Partial<LabConfig> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const parsed: Record<string, unknown> = {};
  for (const section of SECTIONS) {
    const result = labSchema.shape[section].safeParse((raw as Record<string, unknown>)[section]);
    if (result.success) parsed[section] = result.data;
  }
  return parsed as Partial<LabConfig>;
}

/** Validates an already-parsed object: the schema, then the cross-field rules (all that can run). */
export function validateLab(raw: unknown, source?: SourceText, fileName = "homelab.yaml"): LoadResult {
  const parsed = labSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = schemaProblems(parsed.error.issues, raw, source, fileName);
    const sections = validSections(raw);
    const ruleProblems = checkRules(sections as LabConfig, RULES, new Set(Object.keys(sections) as Section[]));
    return { ok: false, problems: [...problems, ...ruleProblems] };
  }
  const found = checkRules(parsed.data);
  if (found.some((p) => p.severity === "error")) return { ok: false, problems: found, lab: parsed.data };
  return { ok: true, lab: parsed.data, warnings: found };
}

/**
 * YAML syntax errors as `file:line:col: YAML syntax: …`, without the yaml library's code frame.
 * Errors cascade (one tab makes a dozen), so only the first is reported, with a tab named as such.
 */
function yamlProblems(fileName: string, errors: readonly YAMLError[]): Problem[] {
  const first = errors[0];
  const where = first.linePos ? `${first.linePos[0].line}:${first.linePos[0].col}` : "?:?";
  const line = first.linePos?.[0].line;
  let message =
    first.code === "TAB_AS_INDENT"
      ? `line ${line} is indented with a tab; YAML indents with spaces only: replace the tab with spaces (2 per level, as in the rest of the file)`
      : `YAML syntax: ${first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`;
  if (errors.length > 1) message += ` (fix this first: the ${errors.length - 1} other syntax error(s) after it may follow from it)`;
  return [{ severity: "error", path: `${fileName}:${where}`, message }];
}

export type ParsedYaml = { raw: unknown; source: SourceText } | { problems: Problem[] };

/** YAML text to a plain object; syntax errors and alias bombs come back as problems, never thrown. */
export function parseYamlText(text: string, fileName: string): ParsedYaml {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) return { problems: yamlProblems(fileName, doc.errors) };
  const source: SourceText = (path) => {
    const node = doc.getIn(path as unknown[], true) as { range?: [number, number, number] } | undefined;
    return node?.range ? text.slice(node.range[0], node.range[1]) : undefined;
  };
  try {
    return { raw: doc.toJS(), source };
  } catch (e) {
    // The yaml library refuses alias bombs here ("Excessive alias count…"): a config problem, not a crash.
    return {
      problems: [
        { severity: "error", path: fileName, message: `YAML: ${(e as Error).message}; write the values out instead of using anchors` },
      ],
    };
  }
}

/** The text of a config file, or a problem naming the file. */
export function readConfigText(file: string): { text: string } | { problems: Problem[] } {
  try {
    return { text: readFileSync(file, "utf8") };
  } catch (e) {
    return { problems: [{ severity: "error", path: file, message: `cannot read the lab config: ${(e as Error).message}` }] };
  }
}

/** Parses YAML text, then validates it. */
export function parseLabYaml(text: string, fileName = "homelab.yaml"): LoadResult {
  const parsed = parseYamlText(text, fileName);
  if ("problems" in parsed) return { ok: false, problems: parsed.problems };
  return validateLab(parsed.raw, parsed.source, fileName);
}

export function loadLabFile(file: string): LoadResult {
  const read = readConfigText(file);
  if ("problems" in read) return { ok: false, problems: read.problems };
  return parseLabYaml(read.text, file);
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.severity === "warning" ? "warning: " : ""}${p.path}: ${p.message}`).join("\n");
}
