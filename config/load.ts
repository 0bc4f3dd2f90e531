/**
 * Reads and validates a lab config. Only entry points (main.ts, scripts) call `loadLabFile`;
 * stacks and constructs receive the validated `LabConfig`.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
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
    const message = missing ? `is required: ${issue.message}` : issue.message;
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

/** Parses YAML text; syntax errors come back as problems with line and column. */
export function parseLabYaml(text: string, fileName = "homelab.yaml"): LoadResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        severity: "error" as const,
        path: `${fileName}:${e.linePos?.[0]?.line ?? "?"}:${e.linePos?.[0]?.col ?? "?"}`,
        message: `YAML syntax: ${e.message.split("\n")[0]}`,
      })),
    };
  }
  return validateLab(doc.toJS());
}

export function loadLabFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return {
      ok: false,
      problems: [{ severity: "error", path: file, message: `cannot read the lab config: ${(e as Error).message}` }],
    };
  }
  return parseLabYaml(text, file);
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.severity === "warning" ? "warning: " : ""}${p.path}: ${p.message}`).join("\n");
}
