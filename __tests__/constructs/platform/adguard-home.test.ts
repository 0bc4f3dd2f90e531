import { parse } from "yaml";
import { dnsRewrites } from "../../../config/apps";
import { AdGuardHome, ADGUARD_IMAGE } from "../../../constructs/platform/adguard-home";
import { loadLab } from "../../helpers";
import { appTemplateValidator } from "../../support/app-template-schema";
import { catalogResources, newStack, only, resourcesOf, synthJson } from "./apps-support";

const lab = loadLab();

function build(overrides: Partial<ConstructorParameters<typeof AdGuardHome>[2]> = {}) {
  const stack = newStack();
  const adguard = new AdGuardHome(stack, "adguard", {
    namespace: "adguard",
    hostname: "adguard",
    domain: lab.network.domain,
    dnsLoadBalancerIp: lab.loadBalancer.dnsIp,
    upstreams: lab.platform.apps.adguard.upstreams,
    bootstrapDns: lab.network.dnsServers,
    rewrites: dnsRewrites(lab),
    storageClassName: "longhorn",
    resources: catalogResources(lab, "adguard"),
    ...overrides,
  });
  return { adguard, json: synthJson(stack) };
}


describe("AdGuardHome", () => {
  const { adguard, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);
  const secret = resourcesOf(json, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "adguard-initial-config")![1];
  const config = parse(secret.data["AdGuardHome.yaml"]);

  test("pins app-template 4.1.1 and an exact AdGuard Home image", () => {
    expect(release).toMatchObject({ chart: "app-template", repository: "https://bjw-s-labs.github.io/helm-charts", version: "4.1.1" });
    expect(values.controllers.adguard.containers.app.image).toEqual({ repository: "adguard/adguardhome", tag: ADGUARD_IMAGE.tag });
    expect(ADGUARD_IMAGE.tag).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  test("its values are valid for the bjw-s common 4.1.1 schema", () => {
    const validate = appTemplateValidator();
    const ok = validate(values);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test("the schema check catches a misspelt key", () => {
    const validate = appTemplateValidator();
    expect(validate({ ...values, service: { ...values.service, dns: { ...values.service.dns, loadBalancerIp: "1.2.3.4" } } })).toBe(false);
  });

  test("serves DNS on TCP and UDP 53 at the fixed MetalLB address", () => {
    expect(values.service.dns).toMatchObject({
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
      annotations: { "metallb.io/loadBalancerIPs": "192.168.1.61" },
      ports: { "dns-tcp": { port: 53, protocol: "TCP" }, "dns-udp": { port: 53, protocol: "UDP" } },
    });
  });

  test("the web UI goes through the ingress", () => {
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].http.path[0].backend.service).toEqual({ name: "adguard-http", port: { number: 3000 } });
    expect(adguard.web.url).toBe("https://adguard.home.arpa");
  });

  test("keeps conf and work on Longhorn volumes", () => {
    expect(values.persistence.conf).toMatchObject({ type: "persistentVolumeClaim", storageClass: "longhorn", globalMounts: [{ path: "/opt/adguardhome/conf" }] });
    expect(values.persistence.work).toMatchObject({ type: "persistentVolumeClaim", storageClass: "longhorn" });
  });

  test("copies the generated config into conf only on first start", () => {
    const init = values.controllers.adguard.initContainers["seed-config"];
    expect(init.command[2]).toBe("[ -f /opt/adguardhome/conf/AdGuardHome.yaml ] || cp /seed/AdGuardHome.yaml /opt/adguardhome/conf/AdGuardHome.yaml");
    expect(values.persistence.seed).toEqual({
      type: "secret",
      name: "adguard-initial-config",
      advancedMounts: { adguard: { "seed-config": [{ path: "/seed", readOnly: true }] } },
    });
  });

  test("the initial config has the upstreams, the bootstrap resolvers and every rewrite", () => {
    expect(config.dns).toMatchObject({ port: 53, upstream_dns: lab.platform.apps.adguard.upstreams, bootstrap_dns: ["192.168.1.1"] });
    expect(config.filtering.rewrites).toEqual(dnsRewrites(lab).map((r) => ({ ...r, enabled: true })));
    expect(config.filtering.rewrites_enabled).toBe(true);
    expect(config.schema_version).toBe(31);
  });

  test("the web Service, the probes and the ingress all use the UI's port 3000, by the Service name the ingress names", () => {
    const app = values.controllers.adguard.containers.app;
    expect(app.probes).toEqual({
      liveness: { enabled: true, type: "TCP", port: 3000 },
      readiness: { enabled: true, type: "TCP", port: 3000 },
    });
    expect(values.service.http).toEqual({ controller: "adguard", forceRename: "adguard-http", primary: true, ports: { http: { port: 3000, protocol: "HTTP" } } });
    expect(values.service.dns).toMatchObject({ controller: "adguard", forceRename: "adguard-dns" });
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].http.path[0].backend.service.name).toBe(values.service.http.forceRename);
  });

  test("one pod at a time on its two ReadWriteOnce volumes, the query log and statistics kept on work", () => {
    expect(values.controllers.adguard.strategy).toBe("Recreate");
    expect(values.persistence.conf).toMatchObject({ accessMode: "ReadWriteOnce", size: "1Gi" });
    expect(values.persistence.work).toMatchObject({
      accessMode: "ReadWriteOnce",
      size: "2Gi",
      advancedMounts: { adguard: { app: [{ path: "/opt/adguardhome/work" }] } },
    });
  });

  test("the seeding init container runs a shell from the same pinned image as the app", () => {
    const init = values.controllers.adguard.initContainers["seed-config"];
    expect(init.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(init.image).toEqual({ repository: "adguard/adguardhome", tag: ADGUARD_IMAGE.tag });
  });

  test("the app container gets the catalog's requests and limits", () => {
    expect(values.controllers.adguard.containers.app.resources).toEqual({ requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "256Mi" } });
  });

  test("the web UI listens on port 3000 on every pod address, where the ingress sends it", () => {
    expect(config.http).toEqual({ address: "0.0.0.0:3000" });
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].http.path[0].backend.service.port.number).toBe(Number(config.http.address.split(":")[1]));
  });

  test("answers DNS on every pod address (the LoadBalancer Service forwards port 53 to the pod)", () => {
    expect(config.dns.bind_hosts).toEqual(["0.0.0.0"]);
  });

  test("spreads queries over the upstreams and caches the answers", () => {
    expect(config.dns).toMatchObject({ upstream_mode: "load_balance", cache_enabled: true });
  });

  test("blocks ads from the first start: protection on, the AdGuard DNS filter enabled", () => {
    expect(config.filtering).toMatchObject({ protection_enabled: true, filtering_enabled: true });
    expect(config.filters).toEqual([
      { enabled: true, url: "https://adguardteam.github.io/HostlistsRegistry/assets/filter_1.txt", name: "AdGuard DNS filter", id: 1 },
    ]);
  });

  test("the admin user's password is only a bcrypt hash reference of a generated password", () => {
    const [passwordId] = only(json, "random_password");
    expect(config.users).toEqual([{ name: "admin", password: `\${random_password.${passwordId}.bcrypt_hash}` }]);
  });

  test("fails when no upstream resolver is given", () => {
    expect(() => build({ upstreams: [] })).toThrow("no upstream resolver; set platform.apps.adguard.upstreams or network.dnsServers");
  });

  test("fails when a name is rewritten twice", () => {
    expect(() => build({ rewrites: [{ domain: "a.home.arpa", answer: "1.1.1.1" }, { domain: "a.home.arpa", answer: "2.2.2.2" }] })).toThrow(
      'rewrite for "a.home.arpa" is given twice',
    );
  });

  test("fails when a bootstrap resolver is not an IPv4 address", () => {
    expect(() => build({ bootstrapDns: ["dns.quad9.net"] })).toThrow("must be plain IPv4 addresses");
  });
});
