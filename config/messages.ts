/**
 * Schema problems a person can act on. Every message names the value received (as written in the
 * file when the YAML source is known), the form expected, and a fix: `memoryMiB: 12GB` becomes
 * `got 12GB, a text; expected a whole number of MiB from 2048 to 4194304: write memoryMiB: 12288`.
 * Unknown keys get the nearest known key; a misspelt required key is reported once.
 */
import type { z } from "zod";
import { nearest } from "./formats";
import type { Problem } from "./rules";
import { labSchema } from "./schema";

/** What the user wrote at a config path, verbatim from the YAML file, when known. */
export type SourceText = (path: readonly PropertyKey[]) => string | undefined;

type AnySchema = z.core.$ZodType;

/** `k3s.servers[1].address` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, "");
}

export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as any)[key] : undefined), raw);
}

function def(schema: AnySchema): any {
  return (schema as any)._zod.def;
}

/** The schema without its optional/default/prefault wrappers. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (["optional", "default", "prefault", "nullable", "readonly", "nonoptional", "catch"].includes(d.type)) s = d.innerType;
    else if (d.type === "pipe") s = d.in;
    else return s;
  }
}

/** The schema of the value at a config path, or undefined past the schema's leaves. */
export function schemaAt(path: readonly PropertyKey[], root: AnySchema = labSchema): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(root);
  for (const key of path) {
    if (!s) return undefined;
    const d = def(s);
    if (d.type === "object" && typeof key === "string") s = d.shape[key] ? unwrap(d.shape[key]) : undefined;
    else if (d.type === "array" && typeof key === "number") s = unwrap(d.element);
    else return undefined;
  }
  return s;
}

/** The wrapped (not unwrapped) field schema, to read its metadata (examples, default). */
function fieldAt(path: readonly PropertyKey[]): AnySchema | undefined {
  if (path.length === 0) return labSchema;
  const parent = schemaAt(path.slice(0, -1));
  const key = path[path.length - 1];
  if (!parent) return undefined;
  const d = def(parent);
  if (d.type === "object" && typeof key === "string") return d.shape[key];
  if (d.type === "array" && typeof key === "number") return d.element;
  return undefined;
}

function keysAt(path: readonly PropertyKey[]): string[] {
  const s = schemaAt(path);
  return s && def(s).type === "object" ? Object.keys(def(s).shape) : [];
}

/** An example of a field: its documented example, else its default. */
function exampleOf(path: readonly PropertyKey[]): unknown {
  const field = fieldAt(path);
  if (!field) return undefined;
  const meta = (field as any).meta?.() ?? (unwrap(field) as any).meta?.();
  if (meta?.examples?.length) return meta.examples[0];
  const d = def(field);
  if (d.type === "default") return typeof d.defaultValue === "function" ? d.defaultValue() : d.defaultValue;
  return undefined;
}

/** A value as one would write it in homelab.yaml (quoted only where YAML would read something else). */
function yamlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(", ")}]`;
  if (typeof value === "string") {
    const plain = /^[\w./:@+-]+$/.test(value);
    const readAsOther = /^(true|false|null|yes|no|on|off|~)$/i.test(value) || /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(value);
    return plain && !readAsOther ? value : JSON.stringify(value);
  }
  if (value !== null && typeof value === "object") return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${yamlValue(v)}`).join(", ")} }`;
  return String(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length}`;
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a text";
  if (typeof value === "number") return Number.isFinite(value) ? "a number" : "a number too large to represent";
  return `a ${typeof value}`;
}

/**
 * `got "12GB"` — the value as written in the file (or as parsed), texts in quotes. With `kind`,
 * what kind of value that is (`got "12GB", a text`), for type errors.
 */
function received(value: unknown, path: readonly PropertyKey[], source?: SourceText, kind = false): string {
  if (value !== null && typeof value === "object") return `got ${kindOf(value)}`;
  const written = source?.(path);
  let shown: string;
  if (written !== undefined && written.length <= 60 && !written.includes("\n")) {
    shown = typeof value === "string" && !/^["']/.test(written) ? JSON.stringify(written) : written;
  } else {
    const json = JSON.stringify(value) ?? String(value);
    shown = json.length > 60 ? `${json.slice(0, 57)}…` : json;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return `got ${shown}, a number too large to represent`;
  return kind ? `got ${shown}, ${kindOf(value)}` : `got ${shown}`;
}

const UNIT_WORDS: [RegExp, string][] = [
  [/MiB$/, "MiB"],
  [/GiB$/, "GiB"],
  [/Days$/, "days"],
  [/MilliCpu$/, "millicores"],
];

function unitOf(path: readonly PropertyKey[]): string | undefined {
  const key = String(path[path.length - 1] ?? "");
  return UNIT_WORDS.find(([re]) => re.test(key))?.[1];
}

interface NumberBounds {
  readonly integer: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
}

function boundsOf(schema: AnySchema): NumberBounds {
  const bag = (schema as any)._zod.bag ?? {};
  const safe = (n: unknown) => (typeof n === "number" && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined);
  return { integer: bag.format === "safeint", min: safe(bag.minimum), max: safe(bag.maximum), exclusiveMin: safe(bag.exclusiveMinimum) };
}

function numberExpectation(b: NumberBounds, unit?: string): string {
  const what = `${b.integer ? "a whole number" : "a number"}${unit ? ` of ${unit}` : ""}`;
  if (b.min !== undefined && b.max !== undefined) return `${what} from ${b.min} to ${b.max}`;
  if (b.min !== undefined) return `${what}, ${b.min} or more`;
  if (b.exclusiveMin !== undefined && b.max !== undefined) return `${what} above ${b.exclusiveMin}, at most ${b.max}`;
  if (b.exclusiveMin !== undefined) return `${what} above ${b.exclusiveMin}`;
  if (b.max !== undefined) return `${what}, at most ${b.max}`;
  return what;
}

/** What a field expects, in words. */
function expectation(path: readonly PropertyKey[]): string {
  const s = schemaAt(path);
  if (!s) return "nothing here";
  const d = def(s);
  switch (d.type) {
    case "number":
      return numberExpectation(boundsOf(s), unitOf(path));
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${Object.values(d.entries).join(", ")}`;
    case "array": {
      const min = (s as any)._zod.bag?.minimum;
      return `a list${min ? ` of at least ${min}` : ""}`;
    }
    case "object":
      return `a mapping with the keys ${Object.keys(d.shape).join(", ")}`;
    case "string":
      return STRING_FORMATS[d.format as string] ?? "a text";
    case "union":
      return "a text";
    default:
      return "a text";
  }
}

const STRING_FORMATS: Record<string, string> = {
  ipv4: "an IPv4 address",
  cidrv4: "an IPv4 network in CIDR form",
  email: "an e-mail address",
  url: "an https:// URL",
};

/** zod's own wording, which the schema replaces by ours wherever it gave a message. */
const ZOD_DEFAULT_MESSAGE = /^(Too small|Too big|Invalid input|Invalid option|Invalid string|Unrecognized key)/;

/** `12GB`, `512 MiB`, `1.5T`… in the unit of the key, or undefined if the text is not a size. */
function convertSize(text: string, unit: "MiB" | "GiB"): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const power = { k: -1, m: 0, g: 1, t: 2 }[m[2].toLowerCase() as "k" | "m" | "g" | "t"];
  const mib = Number(m[1]) * 1024 ** power;
  return unit === "MiB" ? mib : mib / 1024;
}

function keyOf(path: readonly PropertyKey[]): string {
  const last = path[path.length - 1];
  return typeof last === "number" ? formatPath(path.slice(-2)) : String(last ?? "");
}

/** The fix for a value of the wrong type. */
function typeFix(issue: z.core.$ZodIssueInvalidType, value: unknown, path: readonly PropertyKey[]): string {
  const key = keyOf(path);
  const expected = issue.expected as string;
  const s = schemaAt(path);
  if ((expected === "number" || expected === "int") && typeof value === "string") {
    const unit = unitOf(path);
    if (unit === "MiB" || unit === "GiB") {
      const converted = convertSize(value, unit);
      if (converted !== undefined) {
        const whole = Math.round(converted);
        return `write the number of ${unit} without the unit: ${key}: ${whole}${whole !== converted ? ` (rounded from ${converted})` : ""}`;
      }
    }
    if (/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return `write it without quotes: ${key}: ${value.trim()}`;
    return `write ${s ? expectation(path) : "a number"}${unit ? ", without the unit" : ""}, e.g. ${key}: ${yamlValue(exampleOf(path) ?? 1)}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    return `YAML reads it as infinity; write e.g. ${key}: ${yamlValue(exampleOf(path) ?? 1)}`;
  }
  if (expected === "int" && typeof value === "number") {
    const b = s ? boundsOf(s) : { integer: true };
    const options = [...new Set([Math.floor(value), Math.ceil(value)])].filter(
      (n) => (b.min === undefined || n >= b.min) && (b.max === undefined || n <= b.max),
    );
    return options.length ? `use a whole number: ${options.join(" or ")}` : `use ${expectation(path)}`;
  }
  if (expected === "array" && value !== null && typeof value !== "object") {
    return `write it as a list, even with one item: ${key}: [${yamlValue(value)}]`;
  }
  if (expected === "boolean" && typeof value === "string") {
    const truthy = /^(yes|y|on|1|enabled?)$/i.test(value.trim());
    const falsy = /^(no|n|off|0|disabled?)$/i.test(value.trim());
    return truthy || falsy ? `write ${key}: ${truthy}` : `write ${key}: true or ${key}: false`;
  }
  if (expected === "string" && (typeof value === "number" || typeof value === "boolean")) {
    return `quote it so YAML keeps it as text: ${key}: "${String(value)}"`;
  }
  if (expected === "object") {
    return `indent its keys under ${key}: (see docs/configuration.md for ${formatPath(path)})`;
  }
  const example = exampleOf(path);
  return example !== undefined ? `e.g. ${key}: ${yamlValue(example)}` : `see docs/configuration.md for ${formatPath(path)}`;
}

function rangeFix(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, path: readonly PropertyKey[]): string {
  const key = keyOf(path);
  if (issue.origin === "array") {
    const example = exampleOf(path);
    return issue.code === "too_small"
      ? `list at least ${issue.minimum} item(s)${example !== undefined ? `, e.g. ${key}: ${yamlValue(example)}` : ""}`
      : `list at most ${issue.maximum} item(s)`;
  }
  if (issue.origin === "string") {
    return issue.code === "too_small" ? `write at least ${issue.minimum} character(s)` : `write at most ${issue.maximum} characters`;
  }
  const s = schemaAt(path);
  const b = s ? boundsOf(s) : { integer: false };
  const limit = issue.code === "too_small" ? (b.min ?? b.exclusiveMin) : b.max;
  return limit !== undefined ? `use a value ${issue.code === "too_small" ? "of at least" : "of at most"} ${limit}` : `use ${expectation(path)}`;
}

function missingFix(path: readonly PropertyKey[]): string {
  const key = keyOf(path);
  const example = exampleOf(path);
  const s = schemaAt(path);
  if (example !== undefined) return `add it, e.g. ${key}: ${yamlValue(example)}`;
  if (s && def(s).type === "object") return `add the ${key}: section (see docs/configuration.md for ${formatPath(path)})`;
  return `add it (see docs/configuration.md for ${formatPath(path)})`;
}

const error = (path: string, message: string): Problem => ({ severity: "error", path, message });

/**
 * Problems for zod's issues on `raw`. `source` echoes what the file says at a path (so `1e400`
 * shows as written, not as Infinity).
 */
export function schemaProblems(issues: readonly z.core.$ZodIssue[], raw: unknown, source?: SourceText, fileName = "homelab.yaml"): Problem[] {
  if (raw === null || raw === undefined) {
    return [
      error(
        fileName,
        "is empty; expected the description of the lab (network:, proxmox:, vm:, k3s:, loadBalancer:): " +
          "start from the shipped homelab.yaml (git checkout homelab.yaml) and see docs/configuration.md",
      ),
    ];
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return [error(fileName, `${received(raw, [], source)}; expected a mapping of sections (network:, proxmox:, vm:, k3s:, loadBalancer:): start from the shipped homelab.yaml`)];
  }

  const missing = new Set(
    issues
      .filter((i) => i.code === "invalid_type" && i.path.length > 0 && valueAt(raw, i.path) === undefined)
      .map((i) => formatPath(i.path)),
  );
  const renamed = new Set<string>();
  const problems: Problem[] = [];

  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const known = keysAt(issue.path);
    for (const key of issue.keys) {
      const guess = nearest(key, known.filter((k) => valueAt(raw, [...issue.path, k]) === undefined).concat(known));
      const at = formatPath([...issue.path, key]);
      if (guess && missing.has(formatPath([...issue.path, guess]))) {
        renamed.add(formatPath([...issue.path, guess]));
        problems.push(error(at, `unknown key "${key}": did you mean ${guess}? It is required and missing: rename ${key} to ${guess}`));
      } else if (guess) {
        problems.push(error(at, `unknown key "${key}": did you mean ${guess}? Rename it, or remove it`));
      } else {
        problems.push(error(at, `unknown key "${key}": remove it; the keys here are ${known.join(", ")}`));
      }
    }
  }

  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") continue;
    const path = issue.path;
    const at = formatPath(path) || fileName;
    if (renamed.has(at)) continue;
    const value = valueAt(raw, path);
    if (value === undefined && path.length > 0) {
      // A custom check of the parent may require an optional field (one repository type's fields): its message says why.
      problems.push(error(at, issue.code === "custom" ? issue.message : `is required, ${expectation(path)}: ${missingFix(path)}`));
      continue;
    }
    const got = received(value, path, source);
    switch (issue.code) {
      case "invalid_type":
        problems.push(error(at, `${received(value, path, source, true)}; expected ${expectation(path)}: ${typeFix(issue, value, path)}`));
        break;
      case "too_big":
      case "too_small":
        problems.push(
          ZOD_DEFAULT_MESSAGE.test(issue.message)
            ? error(at, `${got}; expected ${expectation(path)}: ${rangeFix(issue, path)}`)
            : error(at, `${got}; ${issue.message}`),
        );
        break;
      case "invalid_value":
        problems.push(error(at, `${got}; expected ${expectation(path)}${nearestValue(value, issue.values)}`));
        break;
      default:
        // Formats and custom checks carry their own expectation and fix ("must be a DNS label… e.g. pve-01").
        problems.push(error(at, `${got}; ${issue.message.replace(/^Invalid input: /, "")}`));
    }
  }
  // zod may report one bound twice (a safe-integer check beside the schema's own maximum).
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function nearestValue(value: unknown, values: readonly unknown[]): string {
  if (typeof value !== "string") return "";
  const guess = nearest(value, values.map(String));
  return guess ? `: did you mean ${guess}?` : "";
}
