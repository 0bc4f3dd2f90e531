import { parse } from "yaml";
import { HelmApp, localChart } from "../../../constructs/platform/helm-app";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues } from "../../support/terraform";

const CHART = { chart: "demo", repository: "https://charts.example.org", version: "1.2.3" };

describe("HelmApp", () => {
  test("pins the chart and renders typed values to YAML, waiting and rolling back failed releases", () => {
    const stack = clusterStack();
    new HelmApp(stack, "demo", { chart: CHART, namespace: "demo", values: { a: { b: [1, 2] }, c: "x" } });
    const release = helmRelease(synthJson(stack), "demo");
    expect(release).toMatchObject({
      chart: "demo",
      repository: "https://charts.example.org",
      version: "1.2.3",
      namespace: "demo",
      create_namespace: false,
      wait: true,
      atomic: true,
      cleanup_on_fail: true,
      timeout: 600,
    });
    expect(helmValues(synthJson(stack), "demo")).toEqual({ a: { b: [1, 2] }, c: "x" });
  });

  test("writes a shared object twice in full, not as a YAML alias", () => {
    const stack = clusterStack();
    const shared = { requests: { cpu: "10m" } };
    new HelmApp(stack, "demo", { chart: CHART, namespace: "demo", values: { one: shared, two: shared } });
    const yaml: string = helmRelease(synthJson(stack), "demo").values[0];
    expect(yaml).not.toMatch(/[&*]a\d/);
    expect(parse(yaml)).toEqual({ one: shared, two: shared });
  });

  test("passes sensitive values with set_sensitive, never in the values YAML", () => {
    const stack = clusterStack();
    new HelmApp(stack, "demo", {
      chart: CHART,
      namespace: "demo",
      values: {},
      sensitiveValues: [{ path: "adminPassword", value: "${random_password.x.result}" }],
    });
    const release = helmRelease(synthJson(stack), "demo");
    expect(release.set_sensitive).toEqual([{ name: "adminPassword", value: "${random_password.x.result}" }]);
    expect(release.values[0]).not.toContain("random_password");
  });

  test("copies a local chart into the stack's assets under a content-hashed relative path", () => {
    const stack = clusterStack();
    new HelmApp(stack, "pools", { chart: localChart("metallb-config", "1.0.0"), namespace: "metallb-system", values: {} });
    const release = helmRelease(synthJson(stack), "pools");
    expect(release.chart).toMatch(/^assets\/[A-Za-z0-9_-]+\/[0-9A-F]{32}$/);
    expect(release.repository).toBeUndefined();
    expect(release.version).toBe("1.0.0");
  });

  test("fails when the chart version is a range", () => {
    expect(() => new HelmApp(clusterStack(), "demo", { chart: { ...CHART, version: "~1.2" }, namespace: "demo", values: {} })).toThrow(
      'HelmApp demo: chart version "~1.2" is not exact; pin a released version such as 1.2.3',
    );
  });

  test("fails when a sensitive value is a literal", () => {
    expect(
      () =>
        new HelmApp(clusterStack(), "demo", {
          chart: CHART,
          namespace: "demo",
          values: {},
          sensitiveValues: [{ path: "adminPassword", value: "hunter2" }],
        }),
    ).toThrow("HelmApp demo: sensitive value adminPassword is a literal; pass a Terraform reference (e.g. a random_password)");
  });

  test("fails when a local chart folder has no Chart.yaml", () => {
    expect(() => new HelmApp(clusterStack(), "demo", { chart: localChart("no-such-chart", "1.0.0"), namespace: "demo", values: {} })).toThrow(
      /HelmApp demo: no Chart\.yaml in .*no-such-chart; local charts live in charts\/<name>\//,
    );
  });

  test("fails when a chart has both a repository and a local path", () => {
    const chart = { ...localChart("metallb-config", "1.0.0"), repository: "https://charts.example.org" };
    expect(() => new HelmApp(clusterStack(), "demo", { chart, namespace: "demo", values: {} })).toThrow(
      "HelmApp demo: chart metallb-config has both a repository and a local path; give one",
    );
  });

  test("HelmApp.all finds releases nested in other constructs", () => {
    const stack = clusterStack();
    new HelmApp(stack, "one", { chart: CHART, namespace: "a", values: {} });
    new HelmApp(stack, "two", { chart: CHART, namespace: "b", values: {} });
    expect(HelmApp.all(stack).map((a) => a.node.id)).toEqual(["one", "two"]);
  });
});
