import { ExposedApp, middlewareAnnotationValue } from "../../../constructs/platform/exposed-app";
import { synthJson } from "../../helpers";
import { clusterStack, resourcesOf } from "../../support/terraform";

const BASE = { hostname: "longhorn", domain: "home.arpa", namespace: "longhorn-system", serviceName: "longhorn-frontend", servicePort: 80 };

describe("ExposedApp", () => {
  test("serves the Service at https://<hostname>.<domain> on Traefik's TLS entry point", () => {
    const stack = clusterStack();
    const app = new ExposedApp(stack, "longhorn", BASE);
    expect(app.url).toBe("https://longhorn.home.arpa");
    const [ingress] = Object.values(resourcesOf(synthJson(stack), "kubernetes_ingress_v1"));
    expect(ingress.metadata.annotations).toEqual({
      "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
      "traefik.ingress.kubernetes.io/router.tls": "true",
    });
    expect(ingress.spec.ingress_class_name).toBe("traefik");
    // No secretName: Traefik answers with the default certificate of its TLS store (the wildcard).
    expect(ingress.spec.tls).toEqual([{ hosts: ["longhorn.home.arpa"] }]);
    expect(ingress.spec.rule[0].host).toBe("longhorn.home.arpa");
    expect(ingress.spec.rule[0].http.path[0].backend.service).toEqual({ name: "longhorn-frontend", port: { number: 80 } });
  });

  test("puts Traefik middlewares in the router annotation, in order, by their CRD names", () => {
    const stack = clusterStack();
    new ExposedApp(stack, "longhorn", {
      ...BASE,
      middlewares: [
        { namespace: "longhorn-system", name: "longhorn-ui-auth" },
        { namespace: "traefik", name: "headers" },
      ],
    });
    const [ingress] = Object.values(resourcesOf(synthJson(stack), "kubernetes_ingress_v1"));
    expect(ingress.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toBe(
      "longhorn-system-longhorn-ui-auth@kubernetescrd,traefik-headers@kubernetescrd",
    );
    expect(middlewareAnnotationValue([])).toBe("");
  });

  test("a host routed by its chart is listed but gets no Ingress", () => {
    const stack = clusterStack();
    const app = new ExposedApp(stack, "traefik", { hostname: "traefik", domain: "home.arpa", namespace: "traefik", routedByChart: true });
    expect(app.url).toBe("https://traefik.home.arpa");
    expect(app.ingress).toBeUndefined();
    expect(resourcesOf(synthJson(stack), "kubernetes_ingress_v1")).toEqual({});
    expect(ExposedApp.all(stack)).toEqual([app]);
  });

  test("fails when the hostname is not a DNS label", () => {
    expect(() => new ExposedApp(clusterStack(), "ui", { ...BASE, hostname: "Long_horn" })).toThrow(
      `ExposedApp ui: hostname "Long_horn" is not a DNS label; use lowercase letters, digits and '-'`,
    );
  });

  test("fails when neither a Service nor routedByChart is given", () => {
    expect(() => new ExposedApp(clusterStack(), "ui", { hostname: "ui", domain: "home.arpa", namespace: "ui" })).toThrow(
      "ExposedApp ui: needs serviceName and servicePort (got no name, no port), or routedByChart: true when the chart makes its own route",
    );
  });

  test("fails when routedByChart also names a Service", () => {
    expect(() => new ExposedApp(clusterStack(), "ui", { ...BASE, routedByChart: true })).toThrow(
      "ExposedApp ui: routedByChart with serviceName/servicePort; give one or the other",
    );
  });

  test("fails when the port is not a TCP port", () => {
    expect(() => new ExposedApp(clusterStack(), "ui", { ...BASE, servicePort: 70000 })).toThrow(
      "ExposedApp ui: servicePort 70000 is not a TCP port (1–65535)",
    );
  });
});
