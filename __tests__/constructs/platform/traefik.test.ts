import { Traefik, type TraefikProps } from "../../../constructs/platform/traefik";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues, resourcesOf } from "../../support/terraform";

const PROPS: TraefikProps = {
  namespace: "traefik",
  loadBalancerIp: "192.168.1.60",
  dashboardHostname: "traefik",
  domain: "home.arpa",
  defaultCertificateSecretName: "wildcard-tls",
  resources: { requestMilliCpu: 100, requestMemoryMiB: 128, limitMemoryMiB: 256 },
  namespaceReady: [],
  dependsOn: [],
};

function synth(props: TraefikProps = PROPS) {
  const stack = clusterStack();
  new Traefik(stack, "traefik", props);
  return synthJson(stack);
}

describe("Traefik", () => {
  test("installs the pinned upstream chart into the namespace made beforehand", () => {
    expect(helmRelease(synth(), "traefik")).toMatchObject({
      chart: "traefik",
      repository: "https://traefik.github.io/charts",
      version: "41.3.0",
      namespace: "traefik",
      create_namespace: false,
      wait: true,
    });
  });

  test("asks MetalLB for the fixed address with the metallb.io annotation", () => {
    expect(helmValues(synth(), "traefik").service).toEqual({ annotations: { "metallb.io/loadBalancerIPs": "192.168.1.60" } });
  });

  test("redirects HTTP to HTTPS permanently and serves the wildcard certificate by default", () => {
    const values = helmValues(synth(), "traefik");
    expect(values.ports.web.http.redirections.entryPoint).toEqual({ to: "websecure", scheme: "https", permanent: true });
    expect(values.ports.websecure.http.tls.enabled).toBe(true);
    expect(values.tlsStore).toEqual({ default: { defaultCertificate: { secretName: "wildcard-tls" } } });
  });

  test("is the default ingress class and reads Ingresses and IngressRoutes", () => {
    const values = helmValues(synth(), "traefik");
    expect(values.ingressClass).toEqual({ enabled: true, isDefaultClass: true, name: "traefik" });
    expect(values.providers.kubernetesIngress.enabled).toBe(true);
    expect(values.providers.kubernetesCRD.enabled).toBe(true);
  });

  test("serves the dashboard only at its host over HTTPS, behind its own basic auth", () => {
    const values = helmValues(synth(), "traefik");
    expect(values.api).toEqual({ dashboard: true });
    expect(values.ingressRoute.dashboard).toEqual({
      enabled: true,
      matchRule: "Host(`traefik.home.arpa`)",
      entryPoints: ["websecure"],
      middlewares: [{ name: "traefik-dashboard-auth" }],
    });
  });

  test("Ingresses report Traefik's address in their status, which ArgoCD waits for to call an Ingress healthy", () => {
    expect(helmValues(synth(), "traefik").providers.kubernetesIngress.publishedService).toEqual({ enabled: true });
  });

  test("the dashboard route's middleware is the one the basic-auth release makes, reading the users Secret", () => {
    const json = synth();
    const route = helmValues(json, "traefik").ingressRoute.dashboard;
    const auth = helmValues(json, "traefik-dashboard-auth");
    expect(auth).toEqual({ name: "traefik-dashboard-auth", secretName: "traefik-dashboard-auth-users" });
    expect(route.middlewares).toEqual([{ name: auth.name }]);
    const secrets = Object.values(resourcesOf(json, "kubernetes_secret_v1")).map((s) => s.metadata.name);
    expect(secrets).toContain(auth.secretName);
  });

  test("takes the catalog resources, without a CPU limit", () => {
    expect(helmValues(synth(), "traefik").resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } });
  });

  test("owns the dashboard's credentials: a basic-auth release in its namespace, after Traefik's CRDs", () => {
    const json = synth();
    const auth = helmRelease(json, "traefik-dashboard-auth");
    expect(auth).toMatchObject({ namespace: "traefik", create_namespace: false });
    expect(auth.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^helm_release\.traefik_release_/)]));
  });

  test("lists the dashboard's URL (an ExposedApp routed by the chart: no Ingress of its own)", () => {
    const stack = clusterStack();
    const traefik = new Traefik(stack, "traefik", PROPS);
    expect(traefik.dashboard.url).toBe("https://traefik.home.arpa");
    expect(traefik.dashboard.ingress).toBeUndefined();
    expect(traefik.dashboardAuth.middleware).toEqual({ namespace: "traefik", name: "traefik-dashboard-auth" });
  });

  test("fails when the address is malformed", () => {
    expect(() => synth({ ...PROPS, loadBalancerIp: "192.168.1" })).toThrow("not an IPv4 address: 192.168.1");
  });
});
