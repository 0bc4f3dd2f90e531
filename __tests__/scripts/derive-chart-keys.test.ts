import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { deriveChartKeys, valuesKeys } from "../../scripts/derive-chart-keys";
import { loadChartKeys } from "../support/chart-keys";

let charts: string;

function chart(name: string, version: string, files: { meta?: object; values: object; schema?: object; extra?: Record<string, object> }) {
  const dir = join(charts, name, version);
  mkdirSync(join(dir, "schemas"), { recursive: true });
  writeFileSync(join(dir, "Chart.yaml"), stringify({ apiVersion: "v2", name, version, ...files.meta }));
  writeFileSync(join(dir, "values.yaml"), stringify(files.values));
  if (files.schema) writeFileSync(join(dir, "values.schema.json"), JSON.stringify(files.schema));
  for (const [file, content] of Object.entries(files.extra ?? {})) writeFileSync(join(dir, file), JSON.stringify(content));
}

beforeAll(() => {
  charts = mkdtempSync(join(tmpdir(), "chart-keys-"));
  chart("lib", "1.0.0", { meta: { type: "library" }, values: { libKey: "secret-default-value" } });
  chart("sub", "2.0.0", { values: { subKey: 1 } });
  chart("app", "3.0.0", {
    meta: {
      dependencies: [
        { name: "lib", version: "1.0.0" },
        { name: "sub", version: "2.0.0", alias: "child" },
        { name: "elsewhere", version: "9.9.9" },
      ],
    },
    values: {
      image: { tag: "v1.2.3" },
      podAnnotations: {},
      nodeSelector: { "kubernetes.io/os": "linux" },
      affinity: null,
      tolerations: [{ key: "x" }],
    },
    schema: {
      type: "object",
      additionalProperties: true,
      properties: {
        image: { $ref: "schemas/defs.json#/definitions/image" },
        ports: { type: "object", additionalProperties: { type: "object", properties: { port: { type: "integer" } } } },
        labels: { type: "object", patternProperties: { "^.*$": { type: "string" } } },
        extra: { type: "object", properties: { known: { type: "boolean" } }, additionalProperties: true },
        merged: { allOf: [{ properties: { a: { type: "string" } } }, { properties: { b: { type: ["string", "null"] } } }] },
        free: { type: "object" },
      },
    },
    extra: { "schemas/defs.json": { definitions: { image: { type: "object", properties: { tag: { type: "string" }, digest: { type: "string" } } } } } },
  });
});
afterAll(() => rmSync(charts, { recursive: true, force: true }));

describe("derive-chart-keys", () => {
  test("merges values.yaml, the schema (with $refs to sibling files) and the subcharts into typed key paths", () => {
    expect(deriveChartKeys(charts, "app", "3.0.0").keys).toEqual({
      affinity: "any",
      child: "object",
      "child.subKey": "number",
      elsewhere: "subchart",
      extra: "map",
      "extra.known": "boolean",
      free: "map",
      image: "object",
      "image.digest": "string",
      "image.tag": "string",
      labels: "map",
      libKey: "string",
      merged: "object",
      "merged.a": "string",
      "merged.b": "null|string",
      nodeSelector: "map",
      podAnnotations: "map",
      ports: "object",
      "ports.*": "object",
      "ports.*.port": "number",
      tolerations: "array",
    });
  });

  test("writes key paths and types only: no default value leaves the upstream files", () => {
    const text = JSON.stringify(deriveChartKeys(charts, "app", "3.0.0"));
    expect(text).not.toContain("secret-default-value");
    expect(text).not.toContain("v1.2.3");
    expect(text).not.toContain("linux");
  });

  test("values-only derivation, as used for the repo's own charts", () => {
    expect(valuesKeys({ pools: [], l2: { name: "lab" } })).toEqual({ pools: "array", l2: "object", "l2.name": "string" });
  });

  test("the committed fixtures hold the keys the platform relies on", () => {
    const longhorn = loadChartKeys("longhorn", "1.12.1");
    expect(longhorn?.keys["defaultBackupStore.backupTarget"]).toBe("any");
    expect(longhorn?.keys["defaultSettings.backupTarget"]).toBeUndefined();
    expect(loadChartKeys("metallb", "0.16.1")?.keys["frr-k8s"]).toBe("subchart");
    expect(loadChartKeys("traefik", "41.3.0")?.keys["ports.*.http.redirections.entryPoint"]).toBe("map");
    expect(loadChartKeys("cert-manager", "v1.21.1")?.keys["crds.keep"]).toBe("boolean");
  });
});
