/**
 * A pinned upstream chart with typed values, exposed at https://whoami.home.arpa through the
 * lab's Traefik: the pattern every platform app follows.
 */
import { App, TerraformStack, TerraformVariable } from "cdktf";
import { KubernetesAccess } from "../constructs/kubernetes-access";
import { ExposedApp } from "../constructs/platform/exposed-app";
import { HelmApp } from "../constructs/platform/helm-app";

export function webAppExample(app: App): TerraformStack {
  const stack = new TerraformStack(app, "example-web-app");
  // In the lab these are the k3s stack's values (cross-stack references); here, variables.
  const credential = (name: string, sensitive = false) => new TerraformVariable(stack, name, { type: "string", sensitive }).stringValue;
  new KubernetesAccess(stack, "cluster", {
    access: {
      host: "https://192.168.1.50:6443",
      clusterCaCertificate: credential("cluster_ca_certificate"),
      clientCertificate: credential("client_certificate"),
      clientKey: credential("client_key", true),
    },
  });
  const release = new HelmApp(stack, "whoami", {
    chart: { chart: "app-template", repository: "https://bjw-s-labs.github.io/helm-charts", version: "4.1.1" },
    namespace: "whoami",
    values: {
      controllers: { main: { containers: { main: { image: { repository: "traefik/whoami", tag: "v1.10.3" } } } } },
      service: { main: { controller: "main", ports: { http: { port: 80 } } } },
    },
  });
  new ExposedApp(stack, "whoami-web", {
    hostname: "whoami",
    domain: "home.arpa",
    namespace: "whoami",
    serviceName: "whoami",
    servicePort: 80,
    dependsOn: [release.release],
  });
  return stack;
}
