/**
 * Jest setup for `npm run test:unasserted` (jest.config.js loads it only when
 * HOMELAB_RECORD_READS is set): parsed Terraform JSON and doctor plans become recording proxies,
 * strings a proxy handed out stay recorded when a test parses them, string matchers log the lines
 * they check, and each test file writes what it read to the folder.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { noteStringMatcher, recordParsed, recorded, recordedReads } from "./read-recorder";

const folder = process.env.HOMELAB_RECORD_READS as string;

/** Terraform JSON: only top-level blocks of a Terraform configuration (Testing.synth drops cdktf's `//`). */
const TERRAFORM_BLOCKS = new Set(["//", "resource", "data", "provider", "terraform", "output", "variable", "locals", "module", "moved", "import", "check"]);
const isTerraformJson = (doc: any): boolean =>
  doc !== null && typeof doc === "object" && !Array.isArray(doc) && Object.keys(doc).length > 0 && Object.keys(doc).every((k) => TERRAFORM_BLOCKS.has(k));
const isDoctorPlan = (doc: any): boolean => doc !== null && typeof doc === "object" && "nMinusOne" in doc && "capacity" in doc && "addresses" in doc;

const jsonParse = JSON.parse;
JSON.parse = function parse(text: string, reviver?: (this: any, key: string, value: any) => any) {
  const doc = jsonParse(text, reviver);
  const fromString = recordParsed(text, doc);
  if (fromString !== doc) return fromString;
  if (isTerraformJson(doc)) return recorded(doc, "tf");
  if (isDoctorPlan(doc)) return recorded(doc, "doctor");
  return doc;
};

// The module object itself (an `import *` may be a copy): tests call `parse` through it.
const yamlModule = require("yaml") as { parse: (...args: unknown[]) => unknown };
const yamlParse = yamlModule.parse;
yamlModule.parse = (...args: unknown[]) => recordParsed(args[0], yamlParse(...args));

const STRING_MATCHERS = new Set(["toBe", "toEqual", "toStrictEqual", "toContain", "toMatch"]);
const scope = globalThis as unknown as { expect: typeof expect };
scope.expect = new Proxy(scope.expect, {
  apply(target, thisArg, args: unknown[]) {
    const matchers = Reflect.apply(target, thisArg, args) as object;
    const received = args[0];
    // An array of strings compared whole (lines picked out of a text): each element against its own.
    if (Array.isArray(received) && received.length > 0 && received.every((r) => typeof r === "string")) {
      return new Proxy(matchers, {
        get(m, key, receiver) {
          const value = Reflect.get(m, key, receiver);
          if ((key !== "toEqual" && key !== "toStrictEqual") || typeof value !== "function") return value;
          return (...expected: unknown[]) => {
            const want = expected[0];
            if (Array.isArray(want)) received.forEach((r: string, i: number) => noteStringMatcher(r, "toBe", want[i]));
            return value(...expected);
          };
        },
      });
    }
    if (typeof received !== "string") return matchers;
    return new Proxy(matchers, {
      get(m, key, receiver) {
        const value = Reflect.get(m, key, receiver);
        if (typeof key !== "string" || !STRING_MATCHERS.has(key) || typeof value !== "function") return value;
        return (...expected: unknown[]) => {
          noteStringMatcher(received, key, expected[0]);
          return value(...expected);
        };
      },
    });
  },
});

afterAll(() => {
  const testPath = expect.getState().testPath ?? "unknown";
  mkdirSync(folder, { recursive: true });
  const name = createHash("sha1").update(testPath).digest("hex").slice(0, 12);
  writeFileSync(join(folder, `${name}.json`), JSON.stringify({ testPath, reads: recordedReads() }));
});
