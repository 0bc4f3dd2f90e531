/**
 * Which synthesized values do the tests read? For `npm run test:unasserted` only: when
 * HOMELAB_RECORD_READS names a folder, the JSON that tests parse (Terraform JSON, the doctor's
 * plan, YAML or JSON held in a string of those) becomes recording proxies, and every leaf a test
 * file or a Jest matcher reads is logged by its path (read-paths.ts). Reads made by helpers,
 * production code or validators, by copies (spread, Object.entries), inside JSON.stringify, and by
 * snapshot matchers (their serializer is not a matcher's equality) are not logged: they assert
 * nothing about a value. Snapshot tests are told apart by that, not by their names: one is called
 * "renders the same text as last time", and "snapshot and backup jobs…" asserts values.
 *
 * Unset (as in `npm test`), `recorded` returns its argument and nothing else is installed.
 */
import { leafPaths, lineKey, linePath, parsedRoot, pathOf, segmentFor, structuredContent, type Root } from "./read-paths";

export const RECORDING = Boolean(process.env.HOMELAB_RECORD_READS);

const INFO = Symbol("recorded");
const EQUALITY = new Set(["toBe", "toEqual", "toStrictEqual"]);
interface Info {
  readonly raw: object;
  readonly root: Root;
  readonly segs: readonly string[];
}

const proxies = new WeakMap<object, object>();
/** Strings handed out by a proxy: content -> path (a later parse or matcher finds its origin). */
const strings = new Map<string, string>();
/** Multi-line strings among them, to locate the lines a matcher checks. */
const texts = new Map<string, string>();
const reads = new Set<string>();
let described: { target: object; key: string | symbol } | undefined;

/** Recording proxy of a parsed document (no-op unless recording). */
export function recorded<T>(value: T, root: Root, segs: readonly string[] = []): T {
  if (!RECORDING || value === null || typeof value !== "object") return value;
  if (infoOf(value)) return value;
  const cached = proxies.get(value as object);
  if (cached) return cached as T;
  const proxy = new Proxy(value as object, {
    getOwnPropertyDescriptor(target, key) {
      described = { target, key };
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    get(target, key, receiver) {
      // A spread or Object.entries asks for the descriptor first: a copy, not a read of the value.
      const copying = described?.target === target && described.key === key;
      described = undefined;
      if (key === INFO) return { raw: target, root, segs } satisfies Info;
      const child = Reflect.get(target, key, receiver);
      if (typeof key === "symbol" || !Object.prototype.hasOwnProperty.call(target, key)) return child;
      if (Array.isArray(target) && key === "length") return child;
      const childSegs = [...segs, segmentFor(root, segs, key, child)];
      if (child !== null && typeof child === "object") return recorded(child, root, childSegs);
      const path = pathOf(root, childSegs);
      if (typeof child === "string" && child.length > 0) {
        strings.set(child, path);
        if (child.includes("\n")) texts.set(child, path);
      }
      if (loggable(copying)) reads.add(path);
      return child;
    },
  });
  proxies.set(value as object, proxy);
  return proxy as T;
}

function infoOf(value: unknown): Info | undefined {
  return value !== null && typeof value === "object" ? ((value as Record<symbol, unknown>)[INFO] as Info | undefined) : undefined;
}

/** `source`'s underlying object, for helpers that copy a recorded object (a spread would read every leaf). */
export function unwrap<T>(value: T): T {
  return (infoOf(value)?.raw as T | undefined) ?? value;
}

/** `copy` recorded under `source`'s path: for a helper that returns `{ ...unwrap(source), extra }`. */
export function recordedAs<T extends object>(source: object, copy: T): T {
  const info = infoOf(source);
  return info ? recorded(copy, info.root, info.segs) : copy;
}

/** The parsed form of a string a proxy handed out, recorded under that string's path. */
export function recordParsed<T>(text: unknown, parsed: T): T {
  if (!RECORDING || typeof text !== "string") return parsed;
  const path = strings.get(text);
  return path === undefined ? parsed : recorded(parsed, parsedRoot(path));
}

/**
 * A test that renders output itself instead of reading it from synthesized JSON: its parsed form,
 * recorded as the string at `path` would be (`tf.resource.local_file.*.content`).
 */
export function recordedContent<T>(doc: T, path: string): T {
  return recorded(doc, parsedRoot(path));
}

/** The same for a rendered text that tests check line by line with string matchers. */
export function recordedText(text: string, path: string): string {
  if (RECORDING) texts.set(text, path);
  return text;
}

/**
 * True when the read comes from a Jest matcher, or from a test file unless it copies the object
 * (spread, Object.entries): the first frame outside this file, skipping native frames
 * (Array.prototype.map), except JSON.stringify (a whole document turned into text asserts no value).
 */
function loggable(copying: boolean): boolean {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_error, frames) => frames;
  Error.stackTraceLimit = 40;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, loggable);
  const frames = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  for (const frame of frames) {
    // Generated code (an Ajv validator walking the values) checks types, not values.
    if (frame.isEval()) return false;
    const file = frame.getFileName() ?? "";
    if (file === __filename) continue;
    if (!file || file.startsWith("node:")) {
      if (frame.getFunctionName() === "stringify") return false;
      continue;
    }
    if (/[\\/]__tests__[\\/].*\.test\.ts$/.test(file)) return !copying;
    return /[\\/]node_modules[\\/](expect|@jest[\\/]expect-utils|@jest[\\/]expect)[\\/]/.test(file);
  }
  return false;
}

/**
 * A matcher called on a string: when the string is (part of) a multi-line text a proxy handed
 * out, log the lines the expected substring or pattern covers.
 */
export function noteStringMatcher(received: string, matcher: string, expected: unknown): void {
  if (received.length === 0) return;
  // A one-line JSON value compared whole (`'{"v1":"12","v2":"12"}'`) asserts each of its leaves.
  const path = strings.get(received);
  if (path !== undefined && !received.includes("\n") && EQUALITY.has(matcher) && expected === received) {
    const inner = structuredContent(received);
    if (inner) for (const leaf of leafPaths(inner, parsedRoot(path))) reads.add(leaf);
  }
  for (const [text, path] of texts) {
    const base = text.indexOf(received);
    if (base < 0 || (received.length < 40 && received !== text && !received.includes("\n"))) continue;
    for (const [start, end] of ranges(received, matcher, expected)) {
      const first = text.slice(0, base + start).split("\n").length - 1;
      const last = text.slice(0, base + Math.max(start, end - 1)).split("\n").length - 1;
      const lines = text.split("\n").slice(first, last + 1);
      for (const line of lines) {
        const key = lineKey(line);
        if (key !== undefined) reads.add(linePath(path, key));
      }
    }
  }
}

function ranges(received: string, matcher: string, expected: unknown): [number, number][] {
  if (EQUALITY.has(matcher)) {
    // A whole text equal to another (a construct's property, a rendering of the same input) is an
    // inline snapshot: it holds every line and says of none why it is right. Part of a text counts.
    return expected === received && !texts.has(received) ? [[0, received.length]] : [];
  }
  if (typeof expected === "string") {
    const out: [number, number][] = [];
    for (let at = received.indexOf(expected); at >= 0 && expected.length > 0; at = received.indexOf(expected, at + 1)) out.push([at, at + expected.length]);
    return out;
  }
  if (expected instanceof RegExp) {
    const match = new RegExp(expected.source, expected.flags.replace("g", "")).exec(received);
    return match ? [[match.index, match.index + match[0].length]] : [];
  }
  return [];
}

export function recordedReads(): string[] {
  return [...reads].sort();
}
