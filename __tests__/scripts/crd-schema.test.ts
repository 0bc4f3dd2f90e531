/**
 * Custom resources against CRD schemas (scripts/lib/crd-schema.ts), the CRD derivation
 * (scripts/derive-crd-schemas.ts) and the committed fixtures it wrote.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { CrdSchemas, fieldPath, toJsonSchema } from "../../scripts/lib/crd-schema";
import { CRD_FIXTURES_DIR, chartOf, crdFixture, deriveCrdSchemas, stripDescriptions, versionOf, writeCrdFixtures } from "../../scripts/derive-crd-schemas";
import { loadCrdFixtures } from "../../scripts/lib/validate-objects";

const crd = (schema: object, versions: object[] = [{ name: "v1", served: true, storage: true }]) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.example.org" },
  spec: {
    group: "example.org",
    names: { kind: "Gadget", plural: "gadgets" },
    scope: "Namespaced",
    versions: versions.map((v) => ({ ...v, schema: { openAPIV3Schema: schema } })),
  },
});

const SPEC = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["port"],
      properties: {
        port: { "x-kubernetes-int-or-string": true },
        replicas: { type: "integer", format: "int32", minimum: 0, exclusiveMinimum: true },
        timeout: { type: "string", format: "duration" },
        tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
        ports: { type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"], items: { type: "object", properties: { name: { type: "string" }, n: { type: "integer" } } } },
        config: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { known: { type: "boolean" } } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        mode: { type: "string", enum: ["a", "b"] },
        note: { type: "string", nullable: true },
      },
    },
  },
};

function schemas(): CrdSchemas {
  const s = new CrdSchemas();
  s.addCrd(crd(SPEC, [{ name: "v1", served: true }, { name: "v0", served: false }]), "test");
  return s;
}

const gadget = (spec: object) => ({ apiVersion: "example.org/v1", kind: "Gadget", metadata: { name: "g" }, spec });

describe("a custom resource against its CRD", () => {
  test("a valid one passes: int-or-string, preserved unknown fields, maps, nullable", () => {
    expect(schemas().validate(gadget({ port: "http", replicas: 2, timeout: "1m30s", config: { anything: [1] }, labels: { a: "b" }, note: null }))).toEqual([]);
    expect(schemas().validate(gadget({ port: 8080 }))).toEqual([]);
  });

  test("fails when a field is unknown, at any depth but under x-kubernetes-preserve-unknown-fields", () => {
    expect(schemas().validate(gadget({ port: 1, prot: 2 }))).toEqual(["spec.prot: unknown field"]);
    expect(schemas().validate({ ...gadget({ port: 1 }), extra: 1 })).toEqual(["extra: unknown field"]);
    expect(schemas().validate(gadget({ port: 1, ports: [{ name: "a", nmae: 1 }] }))).toEqual(["spec.ports[0].nmae: unknown field"]);
  });

  test("fails on types, required fields, enums, formats and OpenAPI's boolean exclusiveMinimum", () => {
    expect(schemas().validate(gadget({ port: true, mode: "c", timeout: "soon", replicas: 0 }))).toEqual([
      "spec.port: must be integer",
      "spec.port: must be string",
      "spec.port: must match a schema in anyOf",
      "spec.replicas: must be > 0",
      "spec.timeout: must match format \"duration\"",
      'spec.mode: must be one of "a", "b"',
    ]);
    expect(schemas().validate(gadget({}))).toEqual(["spec: must have required property 'port'"]);
    expect(schemas().validate(gadget({ port: 1, replicas: 2 ** 31 }))).toEqual(['spec.replicas: must match format "int32"']);
  });

  test("fails on duplicate items of a set or of a map list's keys", () => {
    expect(schemas().validate(gadget({ port: 1, tags: ["x", "x"] }))).toEqual(["spec.tags: must NOT have duplicate items (items ## 1 and 0 are identical)"]);
    expect(schemas().validate(gadget({ port: 1, ports: [{ name: "a", n: 1 }, { name: "a", n: 2 }] }))).toEqual(['spec.ports: has two items with the same name (["a"])']);
  });

  test("only served versions are known; an unknown kind is left to the caller", () => {
    const s = schemas();
    expect([s.has("example.org/v1", "Gadget"), s.has("example.org/v0", "Gadget")]).toEqual([true, false]);
    expect(s.versionsOf("example.org", "Gadget")).toEqual(["v1"]);
    expect(s.validate({ apiVersion: "example.org/v1", kind: "Other", metadata: { name: "x" } })).toBeUndefined();
  });

  test("metadata is left to ObjectMeta; apiVersion and kind are implied at the root", () => {
    const root = toJsonSchema({ type: "object", properties: { spec: { type: "object" } } });
    expect(root.properties.metadata).toEqual({});
    expect(root.properties.apiVersion).toEqual({ type: "string" });
    expect(root.additionalProperties).toBe(false);
    expect(root.properties.spec.additionalProperties).toBe(false);
  });

  test("field paths read like the YAML", () => {
    expect(fieldPath("/spec/ports/0/name")).toBe("spec.ports[0].name");
    expect(fieldPath("/metadata/annotations/a~1b")).toBe("metadata.annotations.a/b");
  });
});

describe("the CRD derivation", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "crds-"));
    mkdirSync(join(dir, "gadget-1.0.0"));
    const schema = { type: "object", description: "A gadget (upstream prose).", properties: { spec: { type: "object", properties: { description: { type: "string", description: "prose" } }, default: { description: "data" } } } };
    writeFileSync(join(dir, "gadget-1.0.0", "gadgets.example.org.yaml"), stringify(crd(schema)));
    writeFileSync(join(dir, "README.md"), "not a chart folder\n");
    // A whole `helm template --include-crds` output: only the CRD is taken.
    mkdirSync(join(dir, "widget-v2.0.0"));
    const widget = { ...crd({ type: "object" }), metadata: { name: "widgets.example.org" } };
    widget.spec = { ...widget.spec, names: { kind: "Widget", plural: "widgets" } };
    writeFileSync(join(dir, "widget-v2.0.0", "rendered.yaml"), `${stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } })}---\n${stringify(widget)}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writes group, kind, scope and each version's schema, without descriptions but with a property named description", () => {
    const fixtures = deriveCrdSchemas(dir);
    expect([...fixtures.keys()]).toEqual([join("gadget-1.0.0", "gadgets.example.org.json"), join("widget-v2.0.0", "widgets.example.org.json")]);
    expect(fixtures.get(join("gadget-1.0.0", "gadgets.example.org.json"))).toEqual({
      source: "gadget-1.0.0/gadgets.example.org.yaml",
      group: "example.org",
      kind: "Gadget",
      plural: "gadgets",
      scope: "Namespaced",
      versions: [{ name: "v1", served: true, schema: { type: "object", properties: { spec: { type: "object", properties: { description: { type: "string" } }, default: { description: "data" } } } } }],
    });
  });

  test("replaces the fixtures of the charts it covers, any version, and keeps the others", () => {
    const out = join(dir, "out");
    for (const folder of ["gadget-0.9.0", "widget-v1.0.0", "other-1.0.0"]) {
      mkdirSync(join(out, folder), { recursive: true });
      writeFileSync(join(out, folder, "old.json"), "{}\n");
    }
    expect(writeCrdFixtures(deriveCrdSchemas(dir), out)).toEqual(["gadget-1.0.0", "widget-v2.0.0"]);
    expect(readdirSync(out).sort()).toEqual(["gadget-1.0.0", "other-1.0.0", "widget-v2.0.0"]);
    expect(JSON.parse(readFileSync(join(out, "widget-v2.0.0", "widgets.example.org.json"), "utf8")).kind).toBe("Widget");
    expect([chartOf("cert-manager-v1.21.1"), versionOf("cert-manager-v1.21.1"), chartOf("argo-cd-10.1.1"), versionOf("argo-cd-10.1.1")]).toEqual(["cert-manager", "v1.21.1", "argo-cd", "10.1.1"]);
  });

  test("fails when a file is not a v1 CRD, or a version has no schema", () => {
    expect(() => crdFixture({ apiVersion: "v1", kind: "ConfigMap" }, "x.yaml")).toThrow("x.yaml: not an apiextensions.k8s.io/v1 CustomResourceDefinition (v1 ConfigMap)");
    const noSchema = crd({});
    delete (noSchema.spec.versions[0] as { schema?: object }).schema;
    expect(() => crdFixture(noSchema, "y.yaml")).toThrow("y.yaml: version v1 has no schema.openAPIV3Schema");
  });
});

describe("the committed CRD fixtures", () => {
  const files = readdirSync(CRD_FIXTURES_DIR).flatMap((chart) => readdirSync(join(CRD_FIXTURES_DIR, chart)).map((f) => join(chart, f)));

  test("hold every CRD kind the repo's charts create, from the pinned charts", () => {
    const crds = loadCrdFixtures(CRD_FIXTURES_DIR);
    for (const [apiVersion, kind] of [
      ["metallb.io/v1beta1", "IPAddressPool"],
      ["metallb.io/v1beta1", "L2Advertisement"],
      ["cert-manager.io/v1", "ClusterIssuer"],
      ["cert-manager.io/v1", "Certificate"],
      ["longhorn.io/v1beta2", "RecurringJob"],
      ["traefik.io/v1alpha1", "Middleware"],
      ["argoproj.io/v1alpha1", "Application"],
    ]) {
      expect([apiVersion, kind, crds.get(apiVersion, kind)?.source.split("/")[0]]).toEqual([apiVersion, kind, expect.stringMatching(/^(metallb-0\.16\.1|cert-manager-v1\.21\.1|longhorn-1\.12\.1|traefik-41\.3\.0|argo-cd-10\.1\.1)$/)]);
    }
  });

  test("are data only: no description left (what `npm run crd-schemas` writes)", () => {
    expect(files.length).toBeGreaterThan(60);
    for (const file of files) {
      const fixture = JSON.parse(readFileSync(join(CRD_FIXTURES_DIR, file), "utf8"));
      for (const v of fixture.versions) expect([file, v.name, stripDescriptions(v.schema)]).toEqual([file, v.name, v.schema]);
    }
  });
});
