/**
 * A small TOML writer for answer files: sections of `key = value` lines, where a key may be dotted
 * (`filter.ID_SERIAL_SHORT`) and a value is a string, boolean, integer or list of strings. That is
 * all an answer.toml needs; every file it writes is parsed back by smol-toml in the tests.
 */
export type TomlValue = string | boolean | number | readonly string[];

export interface TomlSection {
  readonly name: string;
  readonly entries: readonly (readonly [key: string, value: TomlValue])[];
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function tomlKey(key: string): string {
  return key
    .split(".")
    .map((part) => (BARE_KEY.test(part) ? part : tomlString(part)))
    .join(".");
}

/** A basic string: backslash, quote and control characters escaped. */
export function tomlString(text: string): string {
  const escaped = text.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "\n":
        return "\\n";
      case "\t":
        return "\\t";
      case "\r":
        return "\\r";
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
  return `"${escaped}"`;
}

export function tomlValue(value: TomlValue): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`tomlValue: only integers are written, got ${value}`);
    return String(value);
  }
  return value.length === 0 ? "[]" : `[\n${value.map((v) => `  ${tomlString(v)},`).join("\n")}\n]`;
}

/** The document: `# comment` lines, then each section as `[name]` and its entries. */
export function renderToml(comments: readonly string[], sections: readonly TomlSection[]): string {
  const head = comments.map((c) => `# ${c}`.trimEnd());
  const body = sections.map((s) => [`[${tomlKey(s.name)}]`, ...s.entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)].join("\n"));
  return [...(head.length ? [head.join("\n")] : []), ...body].join("\n\n") + "\n";
}
