import { Traefik, type TraefikProps } from "../../../constructs/platform/traefik";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues } from "../../support/terraform";

const PROPS: TraefikProps = {
  namespace: "traefik",
  loadBalancerIp: "192.168.1.60",
  dashboardHost: "traefik.home.arpa",
  dashboardMiddlewares: [{ namespace: "traefik", name: "traefik-dashboard-auth" }],
  defaultCertificateSecretName: "wildcard-tls",
  resources: { requestMilliCpu: 100, requestMemoryMiB: 128, limitMemoryMiB: 256 },
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

  test("serves the dashboard only at its host over HTTPS, behind the middlewares", () => {
    const values = helmValues(synth(), "traefik");
    expect(values.api).toEqual({ dashboard: true });
    expect(values.ingressRoute.dashboard).toEqual({
      enabled: true,
      matchRule: "Host(`traefik.home.arpa`)",
      entryPoints: ["websecure"],
      middlewares: [{ name: "traefik-dashboard-auth" }],
    });
  });

  test("takes the catalog resources, without a CPU limit", () => {
    expect(helmValues(synth(), "traefik").resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } });
  });

  test("fails when the dashboard has no authentication", () => {
    expect(() => synth({ ...PROPS, dashboardMiddlewares: [] })).toThrow(
      "Traefik traefik: the dashboard needs at least one middleware (authentication); it must never be open",
    );
  });

  test("fails when a dashboard middleware lives in another namespace", () => {
    expect(() => synth({ ...PROPS, dashboardMiddlewares: [{ namespace: "kube-system", name: "auth" }] })).toThrow(
      "Traefik traefik: dashboard middleware kube-system/auth is outside Traefik's namespace traefik; IngressRoutes may only use middlewares of their own namespace (cross-namespace references are off)",
    );
  });

  test("fails when the address is malformed", () => {
    expect(() => synth({ ...PROPS, loadBalancerIp: "192.168.1" })).toThrow("not an IPv4 address: 192.168.1");
  });
});
