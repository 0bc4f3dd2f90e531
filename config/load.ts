/**
 * Reads and validates a lab config. Only entry points (main.ts, scripts) call `loadLabFile`;
 * stacks and constructs receive the validated `LabConfig`.
 */
import { readFileSync } from "node:fs";
import { parseDocument, type YAMLError } from "yaml";
import type { z } from "zod";
import { checkRules, type Problem } from "./rules";
import { labSchema, type LabConfig } from "./schema";

export type LoadResult =
  | { ok: true; lab: LabConfig; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/** `k3s.servers[1].address` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, "");
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as any)[key] : undefined), raw);
}

function zodProblems(issues: readonly z.core.$ZodIssue[], raw: unknown): Problem[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        severity: "error" as const,
        path: formatPath([...issue.path, key]),
        message: `unknown key "${key}": remove it or fix its spelling (see config/homelab.schema.json)`,
      }));
    }
    const path = formatPath(issue.path) || "(top level)";
    const missing = issue.path.length > 0 && valueAt(raw, issue.path) === undefined;
    const hint = issue.code === "invalid_type" ? " (see docs/configuration.md for this key)" : "";
    const message = missing ? `is required: ${issue.message}` : `${issue.message}${hint}`;
    return [{ severity: "error" as const, path, message }];
  });
}

/** Validates an already-parsed object: schema first, then the cross-field rules. */
export function validateLab(raw: unknown): LoadResult {
  const parsed = labSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error.issues, raw) };
  const found = checkRules(parsed.data);
  const errors = found.filter((p) => p.severity === "error");
  if (errors.length) return { ok: false, problems: found };
  return { ok: true, lab: parsed.data, warnings: found };
}

/** A YAML syntax error as `file:line:col: YAML syntax: …`, without the yaml library's code frame. */
function yamlProblem(fileName: string, e: YAMLError): Problem {
  const where = e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : "?:?";
  const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return { severity: "error", path: `${fileName}:${where}`, message: `YAML syntax: ${message}` };
}

/** YAML text to a plain object; syntax errors and alias bombs come back as problems, never thrown. */
export function parseYamlText(text: string, fileName: string): { raw: unknown } | { problems: Problem[] } {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) return { problems: doc.errors.map((e) => yamlProblem(fileName, e)) };
  try {
    return { raw: doc.toJS() };
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
  return validateLab(parsed.raw);
}

export function loadLabFile(file: string): LoadResult {
  const read = readConfigText(file);
  if ("problems" in read) return { ok: false, problems: read.problems };
  return parseLabYaml(read.text, file);
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.severity === "warning" ? "warning: " : ""}${p.path}: ${p.message}`).join("\n");
}
