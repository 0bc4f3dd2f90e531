/**
 * The repo's own charts (charts/*) rendered with the values the platform stack passes them, as
 * `helm template` would (a test renderer for the subset of Go templates they use), then parsed:
 * the custom resources must be well-formed YAML with the fields MetalLB, cert-manager, Longhorn and
 * Traefik expect.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { parseAllDocuments, parse } from "yaml";
import { HelmApp } from "../../constructs/platform/helm-app";
import { buildLab } from "../../stacks/lab";
import { labWith, loadLab, validLab } from "../helpers";
import { mergeValues, renderTemplate } from "../support/helm-template";
import type { Json } from "../support/terraform";

const ACME = { email: "admin@example.org", publicDomain: "lab.example.org", dnsProvider: "cloudflare", staging: true };

/** Every object a local chart release renders, in template order. */
function rendered(app: HelmApp, namespace: string): Json[] {
  const dir = app.chart.localPath as string;
  const values = mergeValues(parse(readFileSync(join(dir, "values.yaml"), "utf8")), app.values);
  return readdirSync(join(dir, "templates"))
    .sort()
    .flatMap((file) => {
      const text = renderTemplate(readFileSync(join(dir, "templates", file), "utf8"), values, namespace);
      return parseAllDocuments(text).map((doc) => {
        if (doc.errors.length) throw new Error(`${app.chart.chart}/${file}: ${doc.errors[0].message}\n${text}`);
        return doc.toJS() as Json | null;
      });
    })
    .filter((o): o is Json => o !== null);
}

function objectsOf(lab = loadLab()): Record<string, Json[]> {
  const stack = buildLab(Testing.app(), lab).platform;
  const out: Record<string, Json[]> = {};
  for (const app of HelmApp.all(stack).filter((a) => a.chart.localPath !== undefined)) {
    out[app.releaseName] = rendered(app, app.namespace);
  }
  return out;
}

const byKind = (objects: Json[], kind: string) => objects.filter((o) => o.kind === kind);

describe("default lab", () => {
  let objects: Record<string, Json[]>;
  beforeAll(() => {
    objects = objectsOf();
  });

  test("every rendered object has an apiVersion, a kind and a name", () => {
    for (const [release, list] of Object.entries(objects)) {
      expect([release, list.length > 0]).toEqual([release, true]);
      for (const o of list) expect([release, typeof o.apiVersion, typeof o.kind, typeof o.metadata?.name]).toEqual([release, "string", "string", "string"]);
    }
  });

  test("gitops-root: one root Application with a repository (a Terraform expression: Gitea or the break-glass remote), automated", () => {
    const [app, ...others] = byKind(objects["gitops-root"], "Application");
    expect(others).toEqual([]);
    expect(app.spec.source.repoURL).toMatch(/\S/);
    expect(app.spec.syncPolicy.automated).toMatchObject({ prune: true, selfHeal: true });
  });

  test("fails to render the root Application without a repository (Helm's required)", () => {
    const template = "repoURL: {{ required \"repoURL is required\" .Values.repoURL | quote }}";
    expect(renderTemplate(template, { repoURL: "http://x" }, "argocd")).toBe('repoURL: "http://x"');
    expect(() => renderTemplate(template, {}, "argocd")).toThrow("repoURL is required");
  });

  test("metallb-config: two IPAddressPools and one L2Advertisement of both, in metallb-system", () => {
    const pools = byKind(objects["metallb-config"], "IPAddressPool");
    expect(pools.map((p) => [p.apiVersion, p.metadata, p.spec])).toEqual([
      ["metallb.io/v1beta1", { name: "lab-reserved", namespace: "metallb-system" }, { addresses: ["192.168.1.60/32", "192.168.1.61/32", "192.168.1.62/32"], autoAssign: false }],
      ["metallb.io/v1beta1", { name: "lab-dynamic", namespace: "metallb-system" }, { addresses: ["192.168.1.63-192.168.1.79"], autoAssign: true }],
    ]);
    const [l2] = byKind(objects["metallb-config"], "L2Advertisement");
    expect(l2.spec).toEqual({ ipAddressPools: ["lab-reserved", "lab-dynamic"], interfaces: ["ens18"] });
  });

  test("cluster-issuers: the lab CA issuer and the wildcard Certificate in Traefik's namespace; no ACME issuer", () => {
    const issuers = byKind(objects["cluster-issuers"], "ClusterIssuer");
    expect(issuers).toEqual([{ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "lab-ca" }, spec: { ca: { secretName: "lab-ca" } } }]);
    const [certificate] = byKind(objects["cluster-issuers"], "Certificate");
    expect(certificate.metadata).toEqual({ name: "wildcard", namespace: "traefik" });
    expect(certificate.spec).toMatchObject({
      secretName: "wildcard-tls",
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "lab-ca" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    });
    expect(certificate.spec.dnsNames.slice(0, 2)).toEqual(["*.home.arpa", "home.arpa"]);
  });

  test("longhorn-recurring-jobs: snapshot and backup RecurringJobs for the default group", () => {
    const jobs = byKind(objects["longhorn-recurring-jobs"], "RecurringJob");
    expect(jobs.map((j) => [j.apiVersion, j.metadata.namespace, j.spec])).toEqual([
      ["longhorn.io/v1beta2", "longhorn-system", { name: "snapshot", task: "snapshot", cron: "0 * * * *", retain: 24, concurrency: 1, groups: ["default"] }],
      ["longhorn.io/v1beta2", "longhorn-system", { name: "backup", task: "backup", cron: "0 3 * * *", retain: 14, concurrency: 1, groups: ["default"] }],
    ]);
  });

  test("traefik-basic-auth: one Middleware per protected UI, in the UI's namespace, reading its htpasswd Secret", () => {
    for (const [release, namespace] of [
      ["longhorn-ui-auth", "longhorn-system"],
      ["traefik-dashboard-auth", "traefik"],
    ]) {
      expect(objects[release]).toEqual([
        {
          apiVersion: "traefik.io/v1alpha1",
          kind: "Middleware",
          metadata: { name: release, namespace },
          spec: { basicAuth: { secret: `${release}-users`, removeHeader: true } },
        },
      ]);
    }
  });
});

describe("lab with Let's Encrypt", () => {
  let objects: Record<string, Json[]>;
  beforeAll(() => {
    objects = objectsOf(validLab(labWith({ "platform.tls.acme": ACME })));
  });

  test("adds the DNS-01 Cloudflare ClusterIssuer, which issues the wildcard for the public domain", () => {
    const acme = byKind(objects["cluster-issuers"], "ClusterIssuer").find((i) => i.metadata.name === "letsencrypt");
    expect(acme?.spec.acme).toEqual({
      email: "admin@example.org",
      server: "https://acme-staging-v02.api.letsencrypt.org/directory",
      privateKeySecretRef: { name: "letsencrypt-account-key" },
      solvers: [{ dns01: { cloudflare: { apiTokenSecretRef: { name: "cloudflare-api-token", key: "api-token" } } } }],
    });
    const [certificate] = byKind(objects["cluster-issuers"], "Certificate");
    expect(certificate.spec.issuerRef.name).toBe("letsencrypt");
    expect(certificate.spec.dnsNames).toEqual(["*.lab.example.org", "lab.example.org"]);
  });
});

describe("the test renderer", () => {
  test("trims around {{- -}}, ranges with $ for the root, and refuses what it does not know", () => {
    const tpl = "a:\n{{- range .Values.xs }}\n  - {{ . }}-{{ $.Release.Namespace }}\n{{- end }}\n";
    expect(renderTemplate(tpl, { xs: [1, 2] }, "ns")).toBe("a:\n  - 1-ns\n  - 2-ns\n");
    expect(() => renderTemplate("{{ include \"x\" . }}", {}, "ns")).toThrow('"include "x" ." is outside the supported subset');
    expect(() => renderTemplate("{{ .Values.missing }}", {}, "ns")).toThrow(".Values.missing is not set");
  });
});
