/**
 * Checks synthesized Terraform JSON against a provider-schema fixture (the compact form that
 * scripts/generate-proxmox-bindings.ts writes): every attribute and block name exists, required
 * attributes are set, blocks nest as the schema says (list/set/single/map, min/max items), values
 * have the right basic type, object-typed attributes carry every key (Terraform refuses missing
 * ones, null is fine), and `lifecycle.ignore_changes` paths name real attributes.
 * A `${…}` reference is accepted for any type: Terraform checks it at plan time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type AttributeType = string | [string, AttributeType] | ["object", Record<string, AttributeType>];

export interface SchemaAttribute {
  readonly type: AttributeType;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
}

export interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, SchemaNestedBlock>;
}

export interface SchemaNestedBlock {
  readonly nesting_mode: "list" | "set" | "single" | "group" | "map";
  readonly min_items?: number;
  readonly max_items?: number;
  readonly block: SchemaBlock;
}

export interface ProviderSchemaFixture {
  readonly provider: string;
  readonly version: string;
  readonly provider_block: SchemaBlock;
  readonly resources: Record<string, SchemaBlock>;
}

export function loadProxmoxSchema(): ProviderSchemaFixture {
  return JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "proxmox-provider-schema.json"), "utf8"));
}

/** Terraform meta-arguments a resource may carry besides its schema. */
const RESOURCE_META = new Set(["depends_on", "lifecycle", "provider", "count", "for_each", "provisioner", "connection", "//"]);
const PROVIDER_META = new Set(["alias", "//"]);
const LIFECYCLE_KEYS = new Set(["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by", "precondition", "postcondition"]);

const isReference = (v: unknown): boolean => typeof v === "string" && v.includes("${");
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkType(type: AttributeType, value: unknown, path: string, errors: string[]): void {
  if (value === null || isReference(value)) return;
  if (typeof type === "string") {
    const ok =
      type === "dynamic" ||
      (type === "string" && typeof value === "string") ||
      (type === "number" && typeof value === "number") ||
      (type === "bool" && typeof value === "boolean");
    if (!ok) errors.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  const [kind, inner] = type;
  if (kind === "list" || kind === "set") {
    if (!Array.isArray(value)) {
      errors.push(`${path}: expected a ${kind}, got ${JSON.stringify(value)}`);
      return;
    }
    value.forEach((item, i) => checkType(inner as AttributeType, item, `${path}[${i}]`, errors));
  } else if (kind === "map") {
    if (!isObject(value)) {
      errors.push(`${path}: expected a map, got ${JSON.stringify(value)}`);
      return;
    }
    for (const [k, v] of Object.entries(value)) checkType(inner as AttributeType, v, `${path}.${k}`, errors);
  } else if (kind === "object") {
    if (!isObject(value)) {
      errors.push(`${path}: expected an object, got ${JSON.stringify(value)}`);
      return;
    }
    const fields = inner as Record<string, AttributeType>;
    for (const key of Object.keys(value)) {
      if (!(key in fields)) errors.push(`${path}.${key}: unknown key (allowed: ${Object.keys(fields).join(", ")})`);
    }
    for (const [key, fieldType] of Object.entries(fields)) {
      // An object-typed attribute is not a block: Terraform wants every key, null meaning "unset".
      if (!(key in value)) errors.push(`${path}.${key}: missing; object-typed attributes need every key (use null)`);
      else checkType(fieldType, value[key], `${path}.${key}`, errors);
    }
  } else {
    errors.push(`${path}: schema type ${JSON.stringify(type)} is not understood by this validator`);
  }
}

function checkBlock(block: SchemaBlock, body: unknown, path: string, errors: string[], meta: ReadonlySet<string>): void {
  if (!isObject(body)) {
    errors.push(`${path}: expected a block (object), got ${JSON.stringify(body)}`);
    return;
  }
  const attributes = block.attributes ?? {};
  const blocks = block.block_types ?? {};
  for (const [key, value] of Object.entries(body)) {
    const at = `${path}.${key}`;
    if (meta.has(key)) continue;
    if (attributes[key]) {
      const attr = attributes[key];
      if (attr.computed && !attr.optional && !attr.required) errors.push(`${at}: read-only (computed) attribute cannot be set`);
      else checkType(attr.type, value, at, errors);
    } else if (blocks[key]) {
      checkNested(blocks[key], value, at, errors);
    } else {
      errors.push(`${at}: unknown attribute or block`);
    }
  }
  for (const [key, attr] of Object.entries(attributes)) {
    if (attr.required && (body[key] === undefined || body[key] === null)) errors.push(`${path}.${key}: required attribute missing`);
  }
  for (const [key, nested] of Object.entries(blocks)) {
    if ((nested.min_items ?? 0) > 0 && body[key] === undefined) {
      errors.push(`${path}.${key}: required block missing (at least ${nested.min_items})`);
    }
  }
}

function checkNested(nested: SchemaNestedBlock, value: unknown, path: string, errors: string[]): void {
  if (isReference(value)) return; // a dynamic/whole-block reference
  switch (nested.nesting_mode) {
    case "single":
    case "group":
      checkBlock(nested.block, value, path, errors, new Set());
      return;
    case "map":
      if (!isObject(value)) errors.push(`${path}: expected a map of blocks`);
      else for (const [k, v] of Object.entries(value)) checkBlock(nested.block, v, `${path}.${k}`, errors, new Set());
      return;
    case "list":
    case "set": {
      // Terraform JSON accepts one block as an object or several as an array of objects.
      const items = Array.isArray(value) ? value : [value];
      if (nested.max_items !== undefined && items.length > nested.max_items) {
        errors.push(`${path}: ${items.length} blocks, at most ${nested.max_items} allowed`);
      }
      if (nested.min_items !== undefined && items.length < nested.min_items) {
        errors.push(`${path}: ${items.length} blocks, at least ${nested.min_items} required`);
      }
      items.forEach((item, i) => checkBlock(nested.block, item, Array.isArray(value) ? `${path}[${i}]` : path, errors, new Set()));
      return;
    }
    default:
      errors.push(`${path}: nesting mode ${String(nested.nesting_mode)} is not understood by this validator`);
  }
}

/** `disk[0].file_id` -> checks `disk` is a block or attribute of the resource and `file_id` inside it. */
function checkIgnorePath(block: SchemaBlock, expr: string, path: string, errors: string[]): void {
  const steps = expr.split(".").map((s) => s.replace(/\[\d+\]$/, ""));
  let current: SchemaBlock | undefined = block;
  for (const [i, step] of steps.entries()) {
    if (!current) return; // inside an attribute's value: not described by blocks
    const nested: SchemaNestedBlock | undefined = current.block_types?.[step];
    if (nested) {
      current = nested.block;
    } else if (current.attributes?.[step]) {
      current = undefined;
    } else {
      errors.push(`${path}: ignore_changes "${expr}" names "${steps.slice(0, i + 1).join(".")}", which does not exist`);
      return;
    }
  }
}

function checkLifecycle(block: SchemaBlock, lifecycle: unknown, path: string, errors: string[]): void {
  if (!isObject(lifecycle)) {
    errors.push(`${path}: expected an object`);
    return;
  }
  for (const key of Object.keys(lifecycle)) {
    if (!LIFECYCLE_KEYS.has(key)) errors.push(`${path}.${key}: unknown lifecycle argument`);
  }
  const ignore = lifecycle.ignore_changes;
  if (Array.isArray(ignore)) for (const expr of ignore) checkIgnorePath(block, String(expr), `${path}.ignore_changes`, errors);
}

/**
 * Every problem of the stack's provider blocks and resources whose type starts with the schema's
 * provider prefix (e.g. `proxmox_`), as `path: message` lines. Empty means valid.
 */
export function validateAgainstSchema(stackJson: Record<string, any>, schema: ProviderSchemaFixture, providerName = "proxmox"): string[] {
  const errors: string[] = [];
  for (const [i, config] of (stackJson.provider?.[providerName] ?? []).entries()) {
    checkBlock(schema.provider_block, config, `provider.${providerName}[${i}]`, errors, PROVIDER_META);
  }
  for (const [type, instances] of Object.entries<Record<string, unknown>>(stackJson.resource ?? {})) {
    if (!type.startsWith(`${providerName}_`)) continue;
    const block = schema.resources[type];
    if (!block) {
      errors.push(`resource.${type}: not in the schema fixture; add it to USED_RESOURCES in scripts/generate-proxmox-bindings.ts`);
      continue;
    }
    for (const [name, body] of Object.entries(instances)) {
      const path = `${type}.${name}`;
      checkBlock(block, body, path, errors, RESOURCE_META);
      if (isObject(body) && body.lifecycle !== undefined) checkLifecycle(block, body.lifecycle, `${path}.lifecycle`, errors);
    }
  }
  return errors;
}
