import { parse } from "yaml";
import { ArgoCd, ARGOCD_RESOURCE_SHARES } from "../../../constructs/platform/argocd";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();

function build(hostname = "argocd") {
  const stack = newStack();
  const argocd = new ArgoCd(stack, "argocd", {
    namespace: "argocd",
    hostname,
    domain: lab.network.domain,
    resources: catalogResources(lab, "argocd"),
  });
  return { argocd, json: synthJson(stack) };
}

const cpu = (s: string) => Number(s.replace(/m$/, ""));
const mib = (s: string) => Number(s.replace(/Mi$/, ""));

describe("ArgoCd", () => {
  const { argocd, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);

  test("pins argo-cd 10.1.1 from argo-helm", () => {
    expect(release).toMatchObject({ chart: "argo-cd", repository: "https://argoproj.github.io/argo-helm", version: "10.1.1", name: "argocd" });
  });

  test("serves plain HTTP behind Traefik, which terminates TLS at https://argocd.<domain>", () => {
    expect(values.configs.params).toEqual({ "server.insecure": true });
    expect(values.global.domain).toBe("argocd.home.arpa");
    expect(values.server.ingress).toEqual({ enabled: false });
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].http.path[0].backend.service).toEqual({ name: "argocd-server", port: { number: 80 } });
    expect(argocd.web.url).toBe("https://argocd.home.arpa");
  });

  test("hands the chart only the bcrypt hash of the generated admin password, through set_sensitive", () => {
    const [passwordId] = only(json, "random_password");
    expect(release.set_sensitive).toEqual([
      { name: "configs.secret.argocdServerAdminPassword", value: `\${random_password.${passwordId}.bcrypt_hash}` },
    ]);
    expect(release.values[0]).not.toContain("random_password");
    expect(values.configs.secret.argocdServerAdminPassword).toBeUndefined();
  });

  test("the chart writes argocd-secret, with a fixed password time so that an upgrade logs nobody out", () => {
    // With the default (now), every helm upgrade would change the mtime and end every session.
    expect(values.configs.secret).toEqual({ createSecret: true, argocdServerAdminPasswordMtime: "2026-01-01T00:00:00Z" });
  });

  test("turns off Dex and notifications", () => {
    expect(values.dex).toEqual({ enabled: false });
    expect(values.notifications).toEqual({ enabled: false });
  });

  test("shares the catalog's resources between its pods, adding up to exactly the catalog", () => {
    const total = catalogResources(lab, "argocd");
    const pods = Object.keys(ARGOCD_RESOURCE_SHARES).map((k) => values[k].resources);
    expect(pods.reduce((s, r) => s + cpu(r.requests.cpu), 0)).toBe(total.requestMilliCpu);
    expect(pods.reduce((s, r) => s + mib(r.requests.memory), 0)).toBe(total.requestMemoryMiB);
    expect(pods.reduce((s, r) => s + mib(r.limits.memory), 0)).toBe(total.limitMemoryMiB);
    expect(pods.every((r) => mib(r.requests.memory) > 0 && mib(r.limits.memory) >= mib(r.requests.memory))).toBe(true);
  });

  test("fails when the hostname is not a DNS label", () => {
    expect(() => build("Argo_CD")).toThrow('hostname "Argo_CD" is not a DNS label');
  });
});
