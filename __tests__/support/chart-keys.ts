/**
 * The values-key checker: Helm silently ignores a values key the chart does not read, so a typo
 * (or a key renamed upstream, like Longhorn's backup target in 1.8) turns into a default without
 * a word. Fixtures under __tests__/fixtures/chart-keys hold each pinned chart's key paths and
 * types, derived by `npm run chart-keys` (scripts/derive-chart-keys.ts) from the upstream
 * values.yaml and values.schema.json; no upstream text or default value is copied.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The type of a key path. `map` (free-form object: labels, resources…), `any` (null default,
 * shape unknown) and `subchart` (values handed to a dependency whose own keys are not captured)
 * accept any child key; every other type is a leaf (arrays included) or, for `object`, a parent
 * whose children are listed. Unions are joined with `|`, e.g. `null|string`.
 */
export type KeyType = string;

export interface ChartKeys {
  readonly chart: string;
  readonly version: string;
  /** Key path (segments joined by `.`, `*` = any key at that level) → type. Sorted. */
  readonly keys: Readonly<Record<string, KeyType>>;
}

export const CHART_KEYS_DIR = join(__dirname, "..", "fixtures", "chart-keys");

/** File name of a chart's fixture: `<chart>-<version>.json`. */
export function chartKeysFile(chart: string, version: string): string {
  return join(CHART_KEYS_DIR, `${chart}-${version}.json`);
}

/** The fixture of a pinned chart, or undefined when none was derived (local charts, gitea). */
export function loadChartKeys(chart: string, version: string): ChartKeys | undefined {
  const file = chartKeysFile(chart, version);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ChartKeys) : undefined;
}

const OPEN_TYPES = ["map", "any", "subchart"];

/** Whether a key of this type takes child keys the fixture does not list. */
export function acceptsAnyChild(type: KeyType): boolean {
  return type.split("|").some((t) => OPEN_TYPES.includes(t));
}

interface TrieNode {
  type?: KeyType;
  readonly children: Map<string, TrieNode>;
}

function trieOf(fixture: ChartKeys): TrieNode {
  const root: TrieNode = { children: new Map() };
  for (const [path, type] of Object.entries(fixture.keys)) {
    let node = root;
    for (const segment of path.split(".")) {
      let next = node.children.get(segment);
      if (!next) {
        next = { children: new Map() };
        node.children.set(segment, next);
      }
      node = next;
    }
    node.type = type;
  }
  return root;
}

function childrenOf(nodes: TrieNode[], key: string): TrieNode[] {
  return nodes.flatMap((n) => [n.children.get(key), n.children.get("*")]).filter((n): n is TrieNode => !!n);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Key paths of `values` that the chart does not accept, e.g. `defaultSettings.backupTarget`.
 * Walks the values against every fixture node that can hold each key (the exact name and, where
 * the schema says so, the `*` wildcard); stops below keys that take any child.
 */
export function unknownKeys(values: object, fixture: ChartKeys): string[] {
  const unknown: string[] = [];
  const walk = (value: Record<string, unknown>, nodes: TrieNode[], prefix: string) => {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      let candidates = childrenOf(nodes, key);
      if (candidates.length === 0 && key.includes(".")) {
        // The fixture splits paths on ".": a key that contains one ("grafana.ini") is looked up
        // segment by segment, stopping at a level that takes any child.
        candidates = key
          .split(".")
          .reduce((from, segment) => (from.some((n) => n.type !== undefined && acceptsAnyChild(n.type)) ? from : childrenOf(from, segment)), nodes);
      }
      if (candidates.length === 0) {
        unknown.push(path);
      } else if (candidates.some((n) => n.type !== undefined && acceptsAnyChild(n.type))) {
        continue;
      } else if (isPlainObject(child) && Object.keys(child).length > 0) {
        walk(child, candidates, path);
      }
    }
  };
  walk(values as Record<string, unknown>, [trieOf(fixture)], "");
  return unknown;
}
