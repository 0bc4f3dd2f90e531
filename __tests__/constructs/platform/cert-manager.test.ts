import { CertManager } from "../../../constructs/platform/cert-manager";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues } from "../../support/terraform";

describe("CertManager", () => {
  test("installs the pinned chart from the OCI registry, with its CRDs kept on uninstall", () => {
    const stack = clusterStack();
    new CertManager(stack, "cert-manager", { resources: { requestMilliCpu: 50, requestMemoryMiB: 160, limitMemoryMiB: 384 } });
    const json = synthJson(stack);
    expect(helmRelease(json, "cert-manager")).toMatchObject({
      chart: "cert-manager",
      repository: "oci://quay.io/jetstack/charts",
      version: "v1.21.1",
      namespace: "cert-manager",
      wait: true,
    });
    expect(helmValues(json, "cert-manager").crds).toEqual({ enabled: true, keep: true });
  });

  test("controller, webhook and cainjector share the catalog figure in thirds", () => {
    const stack = clusterStack();
    new CertManager(stack, "cert-manager", { resources: { requestMilliCpu: 50, requestMemoryMiB: 160, limitMemoryMiB: 384 } });
    const values = helmValues(synthJson(stack), "cert-manager");
    const third = { requests: { cpu: "16m", memory: "53Mi" }, limits: { memory: "128Mi" } };
    expect([values.resources, values.webhook.resources, values.cainjector.resources]).toEqual([third, third, third]);
  });
});
