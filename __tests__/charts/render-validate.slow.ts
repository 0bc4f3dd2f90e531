/**
 * The platform stack's Helm releases rendered by the real Helm (scripts/render-validate.ts, run as
 * users run it) for the lab variants, every object validated: the repo's own charts against the
 * real CRDs of MetalLB, cert-manager, Longhorn, Traefik and ArgoCD. Then the values each local
 * chart renders, and the failures the check must report: a planted wrong field, a wrong type in a
 * built-in kind, Helm's `required`, and upstream charts that are missing from a --charts folder.
 *
 * A slow test (Helm processes for every lab variant, about 10 s on an idle machine): `npm run test:slow`, run by .ci/run, not npm test.
 */
import { execFile, execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Testing } from "cdktf";
import { stringify } from "yaml";
import type { LabConfig } from "../../config/schema";
import { CRD_FIXTURES_DIR, chartOf, versionOf } from "../../scripts/derive-crd-schemas";
import { findHelm } from "../../scripts/lib/helm";
import { EXPRESSION_PLACEHOLDER } from "../../scripts/lib/render";
import { formatReport, type Report, type ReleaseReport, type StackReport } from "../../scripts/render-validate";
import { buildLab } from "../../stacks/lab";
import { labWith, loadLab, synthJson, validLab } from "../helpers";
import { resourcesOf, type Json } from "../support/terraform";

const REPO = join(__dirname, "..", "..");
const TSX = join(REPO, "node_modules", ".bin", "tsx");
const SCRIPT = join(REPO, "scripts", "render-validate.ts");
const ACME = { email: "admin@example.org", publicDomain: "lab.example.org", dnsProvider: "cloudflare", staging: true };
const LOCAL_RELEASES = ["cluster-issuers", "gitops-root", "longhorn-recurring-jobs", "longhorn-ui-auth", "metallb-config", "traefik-dashboard-auth"];

const variants: Record<string, LabConfig> = {
  default: loadLab(),
  acme: validLab(labWith({ "platform.tls.acme": ACME })),
  noPi: validLab(labWith({ raspberryPi: undefined })),
};
/** The releases of upstream charts (with a repository), which render only with --charts. */
const UPSTREAM_RELEASES: string[] = Object.values(resourcesOf(synthJson(buildLab(Testing.app(), variants.default).platform), "helm_release"))
  .filter((r) => r.repository !== undefined)
  .map((r) => r.name as string)
  .sort();
const kubeVersion = variants.default.k3s.version.replace(/^v/, "").replace(/\+.*$/, "");

let scratch: string;
const outdirs: string[] = [];
const stackDirs: Record<string, string> = {};
let good: { code: number; report: Report };
let broken: { code: number; report: Report };
let pulled: { code: number; report: Report };
let pullDir: string;
let repo: Server;

/** The platform stack of a lab, synthesized with its assets (the local charts) as `cdktf synth` writes it. */
function synthPlatform(lab: LabConfig): string {
  const outdir = Testing.fullSynth(buildLab(Testing.app(), lab).platform);
  outdirs.push(outdir);
  return join(outdir, "stacks", "platform");
}

async function run(args: string[]): Promise<{ code: number; report: Report }> {
  try {
    const { stdout } = await promisify(execFile)(TSX, [SCRIPT, "--kube-version", kubeVersion, "--json", ...args], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, report: JSON.parse(stdout) };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number" || !e.stdout) throw new Error(`render-validate did not report: ${e.stderr}`);
    return { code: e.code, report: JSON.parse(e.stdout) };
  }
}

function assetTemplate(stackDir: string, assetPrefix: string, file: string): string {
  const asset = readdirSync(join(stackDir, "assets")).find((d) => d.startsWith(assetPrefix)) as string;
  const [hash] = readdirSync(join(stackDir, "assets", asset));
  return join(stackDir, "assets", asset, hash, "templates", file);
}

/** A stand-in chart (not the real upstream one): the name and version a --charts folder must hold. */
function standInChart(dir: string, name: string, version: string, templates: Record<string, object>, crds: Record<string, object> = {}): string {
  const chart = join(dir, name);
  mkdirSync(join(chart, "templates"), { recursive: true });
  mkdirSync(join(chart, "crds"), { recursive: true });
  writeFileSync(join(chart, "Chart.yaml"), stringify({ apiVersion: "v2", name, version, description: "stand-in for a test" }));
  for (const [file, object] of Object.entries(templates)) writeFileSync(join(chart, "templates", file), stringify(object));
  for (const [file, object] of Object.entries(crds)) writeFileSync(join(chart, "crds", file), stringify(object));
  return chart;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "render-validate-"));
  for (const [name, lab] of Object.entries(variants)) stackDirs[name] = synthPlatform(lab);

  // A copy of the default stack with three planted mistakes in what Terraform would hand to Helm.
  const planted = join(scratch, "planted");
  cpSync(stackDirs.default, planted, { recursive: true });
  const pools = assetTemplate(planted, "metallb_config_chart", "ipaddresspools.yaml");
  writeFileSync(pools, readFileSync(pools, "utf8").replace(/autoAssign:/g, "autoAsign:"));
  writeFileSync(join(pools, "..", "planted-configmap.yaml"), stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "planted" }, data: { port: 80 } }));
  const tf = JSON.parse(readFileSync(join(planted, "cdk.tf.json"), "utf8"));
  const root = Object.values<Json>(tf.resource.helm_release).find((r) => r.name === "gitops-root") as Json;
  root.values = [root.values[0].replace(/^repoURL: .*$/m, 'repoURL: ""')];
  writeFileSync(join(planted, "cdk.tf.json"), JSON.stringify(tf));

  // A --charts folder with stand-ins: metallb packaged as `helm pull` writes it (with a CRD and a
  // custom resource of it), traefik unpacked at the wrong version, nothing else.
  const charts = join(scratch, "charts");
  const standIn = standInChart(
    join(scratch, "src"),
    "metallb",
    "0.16.1",
    {
      "controller.yaml": {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "controller" },
        spec: { selector: { matchLabels: { app: "c" } }, template: { metadata: { labels: { app: "c" } }, spec: { containers: [{ name: "c", image: "c:1" }] } } },
      },
      "widget.yaml": { apiVersion: "stand-in.example/v1", kind: "Widget", metadata: { name: "w", labels: { n: 1 } }, spec: { size: "big" } },
    },
    {
      "widgets.yaml": {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.stand-in.example" },
        spec: {
          group: "stand-in.example",
          names: { kind: "Widget", plural: "widgets" },
          scope: "Namespaced",
          versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer" } } } } } } }],
        },
      },
    },
  );
  mkdirSync(charts);
  execFileSync(findHelm(), ["package", standIn, "--destination", charts], { stdio: "ignore" });
  standInChart(charts, "traefik", "0.0.1", {});

  // A stand-in chart repository on loopback (index.yaml written by `helm repo index`), and a stack
  // with two releases from it: one version it has, one it does not.
  const served = join(scratch, "repo");
  mkdirSync(served);
  execFileSync(findHelm(), ["package", standInChart(join(scratch, "src"), "stand-in", "1.2.3", { "cm.yaml": { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "{{ .Release.Name }}" }, data: { replicas: "{{ .Values.replicas }}" } } }), "--destination", served], { stdio: "ignore" });
  repo = createServer((req, res) => {
    const file = join(served, (req.url ?? "/").slice(1));
    if (!/^\/[\w.-]+$/.test(req.url ?? "") || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => repo.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(repo.address() as AddressInfo).port}`;
  execFileSync(findHelm(), ["repo", "index", served, "--url", url], { stdio: "ignore" });
  const pullStack = join(scratch, "pull-stack");
  mkdirSync(pullStack);
  const release = (name: string, version: string) => ({ name, chart: "stand-in", repository: url, version, namespace: "pulled", values: ["replicas: 3\n"] });
  writeFileSync(join(pullStack, "cdk.tf.json"), JSON.stringify({ resource: { helm_release: { a: release("pulled", "1.2.3"), b: release("unpublished", "9.9.9") } } }));
  pullDir = join(scratch, "pulled-charts");

  [good, broken, pulled] = await Promise.all([
    run(Object.values(stackDirs).flatMap((d) => ["--stack", d])),
    run(["--stack", planted, "--charts", charts]),
    run(["--stack", pullStack, "--charts", pullDir, "--pull"]),
  ]);
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => repo.close(resolve));
  for (const dir of [scratch, ...outdirs]) rmSync(dir, { recursive: true, force: true });
});

function stackOf(report: Report, dir: string): StackReport {
  return report.stacks.find((s) => s.stack === dir) as StackReport;
}

function release(stack: StackReport, name: string): ReleaseReport {
  const found = stack.releases.find((r) => r.name === name);
  if (!found) throw new Error(`no release ${name} in ${stack.stack}`);
  return found;
}

function objects(variant: string, name: string, kind?: string): Json[] {
  return release(stackOf(good.report, stackDirs[variant]), name)
    .objects.map((o) => o.object)
    .filter((o) => kind === undefined || o.kind === kind);
}

describe("every lab variant, with the real Helm", () => {
  test("helm 4.1.4 renders for the lab's Kubernetes version, and the run passes", () => {
    expect([good.report.helm, good.report.kubeVersion, good.code, good.report.ok]).toEqual(["v4.1.4", "1.35.8", 0, true]);
  });

  test.each(Object.keys(variants))("%s: every local chart renders, and every object is valid against its schema", (variant) => {
    const stack = stackOf(good.report, stackDirs[variant]);
    const local = stack.releases.filter((r) => r.chart === "(local)");
    expect(local.map((r) => [r.name, r.status])).toEqual(LOCAL_RELEASES.map((n) => [n, "rendered"]));
    for (const r of local) {
      expect([r.name, r.objects.length > 0]).toEqual([r.name, true]);
      for (const o of r.objects) {
        expect([r.name, typeof o.object.apiVersion, typeof o.object.kind, typeof o.object.metadata?.name]).toEqual([r.name, "string", "string", "string"]);
        expect([r.name, o.object.kind, o.problems]).toEqual([r.name, o.object.kind, []]);
      }
    }
  });

  test.each(Object.keys(variants))("%s: the upstream releases are listed by name as not rendered (no --charts)", (variant) => {
    const notRendered = stackOf(good.report, stackDirs[variant]).releases.filter((r) => r.status === "not-rendered");
    expect(notRendered.map((r) => r.name).sort()).toEqual(UPSTREAM_RELEASES);
    for (const r of notRendered) expect(r.reason).toMatch(/pass --charts <dir>/);
  });
});

describe("the CRD fixtures", () => {
  test("are those of the chart versions the platform stack pins (re-derive them with a chart bump)", () => {
    const tf = JSON.parse(readFileSync(join(stackDirs.default, "cdk.tf.json"), "utf8"));
    const pinned = new Map(Object.values<Json>(tf.resource.helm_release).map((r) => [String(r.chart).split("/").pop(), r.version]));
    for (const folder of readdirSync(CRD_FIXTURES_DIR)) {
      expect([folder, pinned.get(chartOf(folder))]).toEqual([folder, versionOf(folder)]);
    }
  });
});

describe("default lab: what the local charts render", () => {
  test("gitops-root: one root Application with a repository (a Terraform expression: Gitea or the break-glass remote), automated", () => {
    const [app, ...others] = objects("default", "gitops-root", "Application");
    expect(others).toEqual([]);
    expect(app.metadata).toMatchObject({ name: "root", namespace: "argocd" });
    expect(app.spec.source.repoURL).toBe(EXPRESSION_PLACEHOLDER);
    expect(app.spec.syncPolicy.automated).toMatchObject({ prune: true, selfHeal: true });
  });

  test("metallb-config: two IPAddressPools and one L2Advertisement of both, in metallb-system", () => {
    const pools = objects("default", "metallb-config", "IPAddressPool");
    expect(pools.map((p) => [p.apiVersion, p.metadata, p.spec])).toEqual([
      ["metallb.io/v1beta1", { name: "lab-reserved", namespace: "metallb-system" }, { addresses: ["192.168.1.60/32", "192.168.1.61/32", "192.168.1.62/32"], autoAssign: false }],
      ["metallb.io/v1beta1", { name: "lab-dynamic", namespace: "metallb-system" }, { addresses: ["192.168.1.63-192.168.1.79"], autoAssign: true }],
    ]);
    const [l2] = objects("default", "metallb-config", "L2Advertisement");
    expect(l2.spec).toEqual({ ipAddressPools: ["lab-reserved", "lab-dynamic"], interfaces: ["ens18"] });
  });

  test("cluster-issuers: the lab CA issuer and the wildcard Certificate in Traefik's namespace; no ACME issuer", () => {
    expect(objects("default", "cluster-issuers", "ClusterIssuer")).toEqual([
      { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "lab-ca" }, spec: { ca: { secretName: "lab-ca" } } },
    ]);
    const [certificate] = objects("default", "cluster-issuers", "Certificate");
    expect(certificate.metadata).toEqual({ name: "wildcard", namespace: "traefik" });
    expect(certificate.spec).toMatchObject({
      secretName: "wildcard-tls",
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "lab-ca" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    });
    expect(certificate.spec.dnsNames.slice(0, 2)).toEqual(["*.home.arpa", "home.arpa"]);
  });

  test("longhorn-recurring-jobs: snapshot and backup RecurringJobs for the default group", () => {
    expect(objects("default", "longhorn-recurring-jobs", "RecurringJob").map((j) => [j.apiVersion, j.metadata.namespace, j.spec])).toEqual([
      ["longhorn.io/v1beta2", "longhorn-system", { name: "snapshot", task: "snapshot", cron: "0 * * * *", retain: 24, concurrency: 1, groups: ["default"] }],
      ["longhorn.io/v1beta2", "longhorn-system", { name: "backup", task: "backup", cron: "0 3 * * *", retain: 14, concurrency: 1, groups: ["default"] }],
    ]);
  });

  test("traefik-basic-auth: one Middleware per protected UI, in the UI's namespace, reading its htpasswd Secret", () => {
    for (const [name, namespace] of [
      ["longhorn-ui-auth", "longhorn-system"],
      ["traefik-dashboard-auth", "traefik"],
    ]) {
      expect(objects("default", name)).toEqual([
        { apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: { name, namespace }, spec: { basicAuth: { secret: `${name}-users`, removeHeader: true } } },
      ]);
    }
  });
});

describe("lab with Let's Encrypt", () => {
  test("adds the DNS-01 Cloudflare ClusterIssuer, which issues the wildcard for the public domain", () => {
    const acme = objects("acme", "cluster-issuers", "ClusterIssuer").find((i) => i.metadata.name === "letsencrypt");
    expect(acme?.spec.acme).toEqual({
      email: "admin@example.org",
      server: "https://acme-staging-v02.api.letsencrypt.org/directory",
      privateKeySecretRef: { name: "letsencrypt-account-key" },
      solvers: [{ dns01: { cloudflare: { apiTokenSecretRef: { name: "cloudflare-api-token", key: "api-token" } } } }],
    });
    const [certificate] = objects("acme", "cluster-issuers", "Certificate");
    expect(certificate.spec.issuerRef.name).toBe("letsencrypt");
    expect(certificate.spec.dnsNames).toEqual(["*.lab.example.org", "lab.example.org"]);
  });
});

describe("lab without a Raspberry Pi", () => {
  test("only the snapshot RecurringJob (no backup target)", () => {
    expect(objects("noPi", "longhorn-recurring-jobs", "RecurringJob").map((j) => j.spec.task)).toEqual(["snapshot"]);
  });
});

describe("fails when", () => {
  let stack: StackReport;
  beforeAll(() => {
    stack = broken.report.stacks[0];
  });

  test("anything is wrong: exit 1", () => {
    expect([broken.code, broken.report.ok]).toEqual([1, false]);
  });

  test("a local chart's custom resource has a field its CRD does not know (planted autoAsign)", () => {
    const metallbConfig = release(stack, "metallb-config");
    expect(metallbConfig.status).toBe("invalid");
    const problems = metallbConfig.objects.filter((o) => o.object.kind === "IPAddressPool").map((o) => [o.object.metadata.name, o.problems]);
    expect(problems).toEqual([
      ["lab-reserved", ["spec.autoAsign: unknown field"]],
      ["lab-dynamic", ["spec.autoAsign: unknown field"]],
    ]);
  });

  test("a built-in object has a field of the wrong type (planted ConfigMap data.port: 80)", () => {
    const configMap = release(stack, "metallb-config").objects.find((o) => o.object.kind === "ConfigMap");
    expect(configMap?.problems).toEqual(["data.port: must be string"]);
  });

  test("Helm refuses to render: the root Application without a repository (the chart's `required`)", () => {
    const root = release(stack, "gitops-root");
    expect(root.status).toBe("failed");
    expect(root.reason).toContain("repoURL is required");
  });

  test("--charts is given and a release's chart is not in it, or at another version: named, not skipped", () => {
    const notRendered = stack.releases.filter((r) => r.status === "not-rendered");
    expect(notRendered.map((r) => r.name).sort()).toEqual(UPSTREAM_RELEASES.filter((name) => name !== "metallb"));
    expect(release(stack, "argocd").reason).toMatch(/neither argo-cd-10\.1\.1\.tgz nor argo-cd\/ in /);
    expect(release(stack, "traefik").reason).toMatch(/holds traefik 0\.0\.1, the stack pins 41\.3\.0/);
  });

  test("an upstream chart's custom resource breaks the CRD that chart ships (pulled .tgz, CRDs from crds/), or ObjectMeta", () => {
    const metallb = release(stack, "metallb");
    expect(metallb.objects.map((o) => [o.object.kind, o.problems])).toEqual([
      ["CustomResourceDefinition", []],
      ["Deployment", []],
      ["Widget", ["metadata.labels.n: must be string", "spec.size: must be integer"]],
    ]);
  });

  test("the report names each problem with its object and template, then every release not rendered", () => {
    const text = formatReport(broken.report, true);
    expect(text).toContain("  INVALID       metallb-config (local chart 1.0.0)\n");
    expect(text).toContain("      IPAddressPool metallb-system/lab-reserved (metallb-config/templates/ipaddresspools.yaml): spec.autoAsign: unknown field\n");
    expect(text).toMatch(/ {2}FAILED {8}gitops-root \(local chart 0\.1\.0\): helm template: .*repoURL is required/);
    expect(text).toContain("  NOT RENDERED  argocd (argo-cd 10.1.1): neither argo-cd-10.1.1.tgz nor argo-cd/ in ");
    expect(text).toContain(
      `6 rendered (13 objects, 4 invalid), 1 failed, ${UPSTREAM_RELEASES.length - 1} not rendered: ${broken.report.stacks[0].releases
        .filter((r) => r.status === "not-rendered")
        .map((r) => r.name)
        .join(", ")}\n`,
    );
    expect(text.endsWith("FAILED\n")).toBe(true);
  });
});

describe("--charts <dir> --pull", () => {
  test("pulls each pinned chart from its repository (a loopback stand-in), then renders it with the stack's values", () => {
    expect(readdirSync(pullDir)).toEqual(["stand-in-1.2.3.tgz"]);
    const r = release(pulled.report.stacks[0], "pulled");
    expect([r.status, r.objects.map((o) => o.object)]).toEqual(["rendered", [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "pulled" }, data: { replicas: "3" } }]]);
  });

  test("fails when a pinned version cannot be pulled: the release is named with Helm's reason, the others still render", () => {
    expect([pulled.code, pulled.report.ok]).toEqual([1, false]);
    const r = release(pulled.report.stacks[0], "unpublished");
    expect(r.status).toBe("not-rendered");
    expect(r.reason).toMatch(/^helm pull failed: .*9\.9\.9/);
  });
});
