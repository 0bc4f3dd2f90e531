/**
 * Custom resources checked against the structural schema of their CRD
 * (`spec.versions[].schema.openAPIV3Schema`), the way the API server does with strict field
 * validation (`kubectl apply`'s default): unknown fields are errors, not silently pruned.
 *
 * The OpenAPI v3 subset a CRD uses becomes JSON Schema for ajv:
 * - an object schema without `x-kubernetes-preserve-unknown-fields: true` or
 *   `additionalProperties` accepts only its `properties` (apiVersion, kind and metadata are
 *   implied at the root and in `x-kubernetes-embedded-resource` objects);
 * - `x-kubernetes-int-or-string` accepts an integer or a string; `nullable` is ajv's own;
 *   OpenAPI's boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers;
 * - `x-kubernetes-list-type: set` needs unique items, `map` unique `x-kubernetes-list-map-keys`;
 * - formats int32, int64, byte, date-time and duration are checked; others (cidr, https) are not;
 * - CEL rules (`x-kubernetes-validations`) are not evaluated.
 * `metadata` is checked apart, against the Kubernetes ObjectMeta schema (scripts/lib/validate-objects.ts).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

type Json = Record<string, any>;

/** One CRD version's schema, as derived into __tests__/fixtures/crds or read from a rendered CRD. */
export interface CrdVersionSchema {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly scope: string;
  readonly schema: Json;
  /** Where it comes from (fixture file or rendering release), for messages. */
  readonly source: string;
}

const IMPLIED_ROOT_FIELDS = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" } };

/** The JSON Schema ajv checks a custom resource with, from a CRD's openAPIV3Schema. */
export function toJsonSchema(openApi: Json): Json {
  const root = convert(openApi);
  root.properties = { ...IMPLIED_ROOT_FIELDS, ...(root.properties ?? {}), metadata: {} };
  return root;
}

function convert(node: unknown): Json {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return node as Json;
  const out: Json = { ...(node as Json) };
  for (const key of ["items", "not"]) if (out[key] !== undefined) out[key] = convert(out[key]);
  for (const key of ["allOf", "anyOf", "oneOf"]) if (Array.isArray(out[key])) out[key] = out[key].map(convert);
  if (typeof out.additionalProperties === "object") out.additionalProperties = convert(out.additionalProperties);
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties as Json).map(([name, child]) => [name, convert(child)]));
  if (out["x-kubernetes-embedded-resource"] === true) out.properties = { ...IMPLIED_ROOT_FIELDS, ...(out.properties ?? {}) };
  if (out["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    if (out.anyOf === undefined) out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  for (const [bound, limit] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
    if (out[bound] === true) {
      out[bound] = out[limit];
      delete out[limit];
    } else if (out[bound] === false) delete out[bound];
  }
  if (out["x-kubernetes-list-type"] === "set") out.uniqueItems = true;
  const isObject = out.type === "object" || out.properties !== undefined;
  if (isObject && out.additionalProperties === undefined && out["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

const GO_DURATION = /^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/;
const INT32 = { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 } as const;
const INT64 = { type: "number", validate: (n: number) => Number.isInteger(n) } as const;

/** An ajv instance that knows the Kubernetes keywords and formats. */
export function kubernetesAjv(): Ajv {
  const ajv = new Ajv({
    // Generated code is not optimized: CRD schemas are large and checked a few times each (3x faster to compile).
    code: { optimize: false },
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    strictTuples: false,
    formats: {
      int32: INT32,
      int64: INT64,
      byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
      "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i,
      duration: GO_DURATION,
      // Not checked (the API server's own checks for these differ by version).
      cidr: true,
      https: true,
    },
  });
  ajv.addVocabulary([
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
    "example",
  ]);
  ajv.addKeyword({
    keyword: "x-kubernetes-list-map-keys",
    type: "array",
    schemaType: "array",
    errors: true,
    validate: function uniqueMapKeys(keys: string[], data: unknown[]) {
      const seen = new Set<string>();
      for (const item of data) {
        const id = JSON.stringify(keys.map((k) => (item as Json)?.[k]));
        if (seen.has(id)) {
          (uniqueMapKeys as any).errors = [{ keyword: "x-kubernetes-list-map-keys", message: `has two items with the same ${keys.join("+")} (${id})`, params: { keys } }];
          return false;
        }
        seen.add(id);
      }
      return true;
    },
  });
  return ajv;
}

/** `spec.foo.bar` from ajv's `/spec/foo/bar`. */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === "" ? p : `${acc}.${p}`), "");
}

/** One readable line per ajv error: the field, then what is wrong with it. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  const lines = (errors ?? []).map((e) => {
    const at = fieldPath(e.instancePath);
    if (e.keyword === "additionalProperties") {
      const field = at === "" ? e.params.additionalProperty : `${at}.${e.params.additionalProperty}`;
      return `${field}: unknown field`;
    }
    if (e.keyword === "enum") return `${at}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    return `${at || "(root)"}: ${e.message}`;
  });
  return [...new Set(lines)];
}

/** Compiled validators per `group/version Kind`, compiled on first use. */
export class CrdSchemas {
  private readonly schemas = new Map<string, CrdVersionSchema>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly ajv = kubernetesAjv();

  static key(apiVersion: string, kind: string): string {
    return `${apiVersion} ${kind}`;
  }

  /** Adds (or replaces: a CRD rendered by a pulled chart wins over a fixture) one served version. */
  add(schema: CrdVersionSchema): void {
    const key = CrdSchemas.key(`${schema.group}/${schema.version}`, schema.kind);
    this.schemas.set(key, schema);
    this.compiled.delete(key);
  }

  /** Adds every served version of a CustomResourceDefinition object (as a chart renders it). */
  addCrd(crd: Json, source: string): void {
    for (const v of crd.spec?.versions ?? []) {
      if (v.served !== true || !v.schema?.openAPIV3Schema) continue;
      this.add({ group: crd.spec.group, version: v.name, kind: crd.spec.names?.kind, scope: crd.spec.scope, schema: v.schema.openAPIV3Schema, source });
    }
  }

  has(apiVersion: string, kind: string): boolean {
    return this.schemas.has(CrdSchemas.key(apiVersion, kind));
  }

  get(apiVersion: string, kind: string): CrdVersionSchema | undefined {
    return this.schemas.get(CrdSchemas.key(apiVersion, kind));
  }

  /** Kinds known for an API group, e.g. to say which versions exist when one is not served. */
  versionsOf(group: string, kind: string): string[] {
    return [...this.schemas.values()].filter((s) => s.group === group && s.kind === kind).map((s) => s.version).sort();
  }

  /** Problems of one custom resource (without its metadata), or undefined when no CRD knows it. */
  validate(object: Json): string[] | undefined {
    const key = CrdSchemas.key(object.apiVersion, object.kind);
    const schema = this.schemas.get(key);
    if (schema === undefined) return undefined;
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(toJsonSchema(schema.schema));
      this.compiled.set(key, validate);
    }
    return validate(object) ? [] : describeErrors(validate.errors);
  }
}
