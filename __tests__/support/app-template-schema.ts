/**
 * The bjw-s common 4.1.1 schema (app-template 4.1.1's own is a single $ref to it), loaded from
 * the fixture copy under __tests__/fixtures/chart-schemas: validates the values the lab passes to
 * app-template (AdGuard Home, ntfy, pve-exporter).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { FIXTURES } from "../helpers";

let validator: ReturnType<Ajv["compile"]> | undefined;

export function appTemplateValidator(): ReturnType<Ajv["compile"]> {
  if (validator) return validator;
  const dir = join(FIXTURES, "chart-schemas", "bjw-s-common-4.1.1");
  const base = "https://raw.githubusercontent.com/bjw-s-labs/helm-charts/common-4.1.1/charts/library/common/";
  // Formats (int32…) are Kubernetes annotations, not something these values could get wrong.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  for (const file of readdirSync(join(dir, "schemas"))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, "schemas", file), "utf8")), `${base}schemas/${file}`);
  }
  validator = ajv.compile(JSON.parse(readFileSync(join(dir, "values.schema.json"), "utf8")));
  return validator;
}

/** Schema errors of app-template values, as short strings (empty when valid). */
export function appTemplateErrors(values: unknown): string[] {
  const validate = appTemplateValidator();
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
