/**
 * A test-only renderer for the small subset of Helm's Go templates that the repo's own charts use
 * (charts/*), so the tests can check their output without a `helm` binary: `{{ .Values.x }}`,
 * `{{ .field }}` inside range/with, `$.Release.Namespace`, `range`/`if`/`with`/`end`, the `-`
 * whitespace trims, and the functions `toYaml`, `nindent N` and `quote`. Anything else throws,
 * so a template that outgrows the subset fails loudly instead of rendering wrongly.
 */
import { stringify } from "yaml";

type Node =
  | { kind: "text"; text: string }
  | { kind: "output"; expr: string }
  | { kind: "block"; keyword: "range" | "if" | "with"; expr: string; body: Node[] };

interface Scope {
  readonly dot: unknown;
  readonly root: Record<string, unknown>;
}

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;

function tokenize(template: string): (string | { action: string })[] {
  const parts: (string | { action: string })[] = [];
  let last = 0;
  let trimNext = false;
  for (const m of template.matchAll(ACTION)) {
    let text = template.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (m[1] === "-") text = text.replace(/\s+$/, "");
    parts.push(text, { action: m[2] });
    trimNext = m[3] === "-";
    last = (m.index ?? 0) + m[0].length;
  }
  let tail = template.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, "");
  parts.push(tail);
  return parts;
}

function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const part of tokenize(template)) {
    const current = stack[stack.length - 1];
    if (typeof part === "string") {
      if (part) current.push({ kind: "text", text: part });
      continue;
    }
    const [word, ...rest] = part.action.split(/\s+/);
    if (word === "range" || word === "if" || word === "with") {
      const block: Node = { kind: "block", keyword: word, expr: rest.join(" "), body: [] };
      current.push(block);
      stack.push(block.body);
    } else if (word === "end") {
      if (stack.length === 1) throw new Error("helm-template: {{ end }} without a block");
      stack.pop();
    } else if (/^(else|define|template|include|tpl|block)$/.test(word) || part.action.startsWith("/*")) {
      throw new Error(`helm-template: "${part.action}" is outside the supported subset`);
    } else {
      current.push({ kind: "output", expr: part.action });
    }
  }
  if (stack.length !== 1) throw new Error("helm-template: a block is not closed with {{ end }}");
  return root;
}

function lookup(path: string, scope: Scope): unknown {
  let base: unknown;
  let rest: string;
  if (path === ".") return scope.dot;
  if (path.startsWith("$.")) {
    base = scope.root;
    rest = path.slice(2);
  } else if (path.startsWith(".")) {
    base = scope.dot;
    rest = path.slice(1);
  } else {
    throw new Error(`helm-template: "${path}" is not a field path`);
  }
  let value = base;
  for (const key of rest.split(".")) {
    if (value === null || typeof value !== "object" || !(key in (value as object))) {
      throw new Error(`helm-template: ${path} is not set`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function hasPath(path: string, scope: Scope): boolean {
  try {
    lookup(path, scope);
    return true;
  } catch {
    return false;
  }
}

function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false }).replace(/\n$/, "");
}

function evaluate(expr: string, scope: Scope): unknown {
  const [head, ...pipes] = expr.split("|").map((s) => s.trim());
  const required = /^required\s+"([^"]*)"\s+(\S+)$/.exec(head);
  const [first, ...args] = head.split(/\s+/);
  let value: unknown;
  if (required) {
    // Helm's `required "message" .Values.x`: fails the render when the value is missing or empty.
    value = hasPath(required[2], scope) ? lookup(required[2], scope) : undefined;
    if (value === undefined || value === null || value === "") throw new Error(`helm-template: ${required[1]}`);
  } else {
    value = first === "toYaml" ? toYaml(lookup(args[0], scope)) : lookup(first, scope);
    if (first !== "toYaml" && args.length) throw new Error(`helm-template: "${head}" is outside the supported subset`);
  }
  for (const pipe of pipes) {
    const [fn, ...fnArgs] = pipe.split(/\s+/);
    if (fn === "nindent") {
      const pad = " ".repeat(Number(fnArgs[0]));
      value = `\n${String(value)
        .split("\n")
        .map((line) => pad + line)
        .join("\n")}`;
    } else if (fn === "quote") {
      value = JSON.stringify(String(value));
    } else {
      throw new Error(`helm-template: function "${fn}" is outside the supported subset`);
    }
  }
  return value;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

function render(nodes: Node[], scope: Scope): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "output") {
      const value = evaluate(node.expr, scope);
      if (value !== null && typeof value === "object") throw new Error(`helm-template: {{ ${node.expr} }} prints an object; use toYaml`);
      out += String(value);
    } else {
      const value = evaluate(node.expr, scope);
      if (node.keyword === "if") {
        if (truthy(value)) out += render(node.body, scope);
      } else if (node.keyword === "with") {
        if (truthy(value)) out += render(node.body, { ...scope, dot: value });
      } else {
        if (!Array.isArray(value)) throw new Error(`helm-template: range over ${node.expr}, which is not a list`);
        for (const item of value) out += render(node.body, { ...scope, dot: item });
      }
    }
  }
  return out;
}

/** Helm's merge of user values over the chart's defaults: maps merge deeply, anything else replaces. */
export function mergeValues(defaults: unknown, values: unknown): unknown {
  if (defaults && values && typeof defaults === "object" && typeof values === "object" && !Array.isArray(defaults) && !Array.isArray(values)) {
    const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) out[k] = mergeValues(out[k], v);
    return out;
  }
  return values === undefined ? defaults : values;
}

/** Renders one template with `.Values` and `.Release.Namespace`, as `helm template` would. */
export function renderTemplate(template: string, values: unknown, releaseNamespace: string): string {
  const root = { Values: values, Release: { Namespace: releaseNamespace } };
  return render(parse(template), { dot: root, root });
}
