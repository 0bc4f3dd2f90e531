/**
 * The DNS rewrites AdGuard Home serves (and the Pi's copy: the same dnsRewrites(lab)) cover exactly
 * the names the platform serves: every ExposedApp's fqdn to Traefik's address, plus the API name to
 * the VIP, and nothing else.
 */
import { Testing } from "cdktf";
import { parse } from "yaml";
import { dnsRewrites, exposedHosts, platformComponents } from "../../config/apps";
import type { LabConfig } from "../../config/schema";
import { ExposedApp } from "../../constructs/platform/exposed-app";
import { buildPlatformApps } from "../../stacks/platform/apps";
import { PlatformStack } from "../../stacks/platform-stack";
import { fakeBase, newStack, resourcesOf, synthJson } from "../constructs/platform/apps-support";
import { labWith, loadLab, validLab } from "../helpers";
import { TEST_CLUSTER_ACCESS } from "../support/terraform";

/**
 * The platform with a stand-in base layer that exposes the base's web UIs (Traefik dashboard,
 * Longhorn UI) the way the base layer must: one ExposedApp per catalog component with a hostname.
 */
function platformWithFakeBase(lab: LabConfig) {
  const stack = newStack("platform");
  const base = fakeBase(stack);
  const appIds = new Set(["gitea", "argocd", "loki", "alloy", "grafana", "vaultwarden", "adguard", "ntfy"]);
  for (const c of platformComponents(lab).filter((c) => !appIds.has(c.id) && c.webHostname)) {
    new ExposedApp(stack, c.id, { hostname: c.webHostname!, domain: lab.network.domain, namespace: c.namespace, serviceName: c.id, servicePort: 80 });
  }
  buildPlatformApps(stack, lab, base, TEST_CLUSTER_ACCESS);
  return stack;
}

/** The rewrites as shipped: read back from the synthesized AdGuardHome.yaml. */
function shippedRewrites(json: Record<string, any>): { domain: string; answer: string }[] {
  const [, secret] = resourcesOf(json, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "adguard-initial-config")!;
  return parse(secret.data["AdGuardHome.yaml"]).filtering.rewrites.map(({ domain, answer }: any) => ({ domain, answer }));
}

describe.each([
  ["the default lab", loadLab()],
  ["a lab with renamed apps", validLab(labWith({ "platform.apps.grafana.hostname": "dashboards", "platform.apps.gitea.hostname": "git" }))],
])("DNS rewrites for %s", (_name, lab) => {
  const stack = platformWithFakeBase(lab);
  const rewrites = shippedRewrites(synthJson(stack));
  const apiName = `${lab.k3s.apiHostname}.${lab.network.domain}`;

  test("cover exactly the ingress hostnames, plus the API name", () => {
    const ingressNames = ExposedApp.all(stack).map((a) => a.fqdn).sort();
    expect(rewrites.map((r) => r.domain).filter((d) => d !== apiName).sort()).toEqual(ingressNames);
    expect(new Set(rewrites.map((r) => r.domain)).size).toBe(rewrites.length);
  });

  test("send every app name to Traefik and the API name to the VIP", () => {
    for (const r of rewrites) expect(r).toEqual({ domain: r.domain, answer: r.domain === apiName ? lab.k3s.apiVip : lab.loadBalancer.ingressIp });
    expect(rewrites.find((r) => r.domain === apiName)).toBeDefined();
  });

  test("are the catalog's rewrites (the list the Pi's secondary AdGuard gets too)", () => {
    expect(rewrites).toEqual(dnsRewrites(lab));
    expect(exposedHosts(lab).map((h) => h.fqdn).sort()).toEqual(ExposedApp.all(stack).map((a) => a.fqdn).sort());
  });
});

test("in the real platform stack, every ingress hostname has a rewrite", () => {
  const lab = loadLab();
  const stack = new PlatformStack(Testing.app(), "platform", { lab, access: TEST_CLUSTER_ACCESS });
  const rewritten = new Set(dnsRewrites(lab).map((r) => r.domain));
  const missing = ExposedApp.all(stack).map((a) => a.fqdn).filter((fqdn) => !rewritten.has(fqdn));
  expect(missing).toEqual([]);
});
