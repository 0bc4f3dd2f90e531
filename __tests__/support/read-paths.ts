/**
 * Leaf paths of synthesized output, written the same way by the read recorder (what tests read)
 * and by `npm run test:unasserted` (what the default lab holds), so that the two compare.
 *
 * - Terraform JSON is rooted at `tf`: `tf.resource.<type>.<id>.<attribute path>`. A helm_release
 *   is named by its Helm release name (`tf.resource.helm_release.[vaultwarden].chart`); other
 *   logical ids collapse to `*` (a construct test's stack and the lab's stack name them apart).
 * - The doctor's plan JSON is rooted at `doctor`.
 * - A string that holds YAML or JSON continues the path after `|` with its parsed keys
 *   (`tf.resource.helm_release.[vaultwarden].values.0|invitationsAllowed`); any other multi-line
 *   string is read line by line, `#` then the trimmed line.
 * - Array elements are their index.
 */
import { parse } from "yaml";

export type Root = "tf" | "doctor" | string;

/** The segment for `key` under the path `segs` of a document rooted at `root`. */
export function segmentFor(root: Root, segs: readonly string[], key: string, value: unknown): string {
  if (root === "tf" && segs.length === 2 && (segs[0] === "resource" || segs[0] === "data")) {
    if (segs[1] === "helm_release" && value !== null && typeof value === "object" && typeof (value as { name?: unknown }).name === "string") {
      return `[${(value as { name: string }).name}]`;
    }
    return "*";
  }
  return key;
}

export const pathOf = (root: Root, segs: readonly string[]): string =>
  root.endsWith("|") ? root + segs.join(".") : [root, ...segs].join(".");

/** A string parsed back by a test continues its path here. */
export const parsedRoot = (path: string): string => `${path}|`;

/** The key of one line of a multi-line text, or undefined for a line that says nothing (blank, brackets). */
export function lineKey(line: string): string | undefined {
  const key = line.trim();
  return /^[\s{}()[\],;]*$/.test(key) ? undefined : key;
}

export const linePath = (path: string, line: string): string => `${path}#${line}`;

/** The object or array a string holds as YAML or JSON, if it holds one. */
export function structuredContent(text: string): object | undefined {
  const trimmed = text.trim();
  try {
    if (/^[{[]/.test(trimmed)) {
      const json: unknown = JSON.parse(trimmed);
      if (json !== null && typeof json === "object") return json;
    }
  } catch {
    // not JSON: maybe YAML
  }
  if (!text.includes("\n")) return undefined;
  // YAML with Terraform interpolations in it (`${a ? b : "c"}`) parses once they are stand-ins.
  for (const candidate of [text, text.replace(/\$\{[^}]*\}/g, "TERRAFORM_EXPRESSION")]) {
    try {
      const yaml: unknown = parse(candidate);
      if (yaml !== null && typeof yaml === "object") return yaml;
    } catch {
      // not YAML as it stands
    }
  }
  return undefined;
}

/**
 * Every leaf path of a document, or of the part of it at `start` (keys starting with `//` are
 * cdktf's metadata and skipped).
 */
export function leafPaths(doc: unknown, root: Root, start: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (value: unknown, r: Root, segs: string[]): void => {
    if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key.startsWith("//")) continue;
        walk(child, r, [...segs, segmentFor(r, segs, key, child)]);
      }
      return;
    }
    const path = pathOf(r, segs);
    if (typeof value === "string") {
      const inner = structuredContent(value);
      if (inner) return walk(inner, parsedRoot(path), []);
      if (value.includes("\n")) {
        for (const line of value.split("\n")) {
          const key = lineKey(line);
          if (key !== undefined) out.push(linePath(path, key));
        }
        return;
      }
    }
    out.push(path);
  };
  walk(doc, root, [...start]);
  return [...new Set(out)];
}
