import { parse } from "yaml";
import { Alloy, ALLOY_RESOURCE_SHARES } from "../../../constructs/platform/alloy";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();
const PUSH = "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push";

function build(lokiPushUrl = PUSH) {
  const stack = newStack();
  const alloy = new Alloy(stack, "alloy", { namespace: "observability", lokiPushUrl, resources: catalogResources(lab, "alloy") });
  return { alloy, json: synthJson(stack) };
}

describe("Alloy", () => {
  const { alloy, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);
  const pipeline: string = values.alloy.configMap.content;

  test("pins grafana/alloy 1.11.1 and runs as a DaemonSet", () => {
    expect(release).toMatchObject({ chart: "alloy", repository: "https://grafana.github.io/helm-charts", version: "1.11.1" });
    expect(values.controller.type).toBe("daemonset");
  });

  test("ships this node's pod logs from /var/log/pods", () => {
    expect(pipeline).toContain('discovery.kubernetes "pods"');
    expect(pipeline).toContain('field = "spec.nodeName=" + sys.env("NODE_NAME")');
    expect(pipeline).toContain('replacement   = "/var/log/pods/*$1/*.log"');
    expect(pipeline).toContain('loki.source.file "pod_logs"');
    expect(pipeline).toContain("stage.cri {}");
    expect(values.alloy.mounts.varlog).toBe(true);
    expect(values.alloy.extraEnv).toEqual([{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }]);
  });

  test("ships the node's systemd journal", () => {
    expect(pipeline).toContain('loki.source.journal "node"');
    expect(pipeline).toContain('path          = "/var/log/journal"');
    expect(values.alloy.mounts.extra).toEqual([{ name: "machine-id", mountPath: "/etc/machine-id", readOnly: true }]);
    // Reading root-owned host files: root, but no other privilege.
    expect(values.alloy.securityContext).toMatchObject({ runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  test("writes to Loki's in-cluster push endpoint", () => {
    expect(pipeline).toContain(`url = "${PUSH}"`);
    expect(alloy.pipeline).toBe(pipeline);
  });

  test("keeps the pipeline free of Terraform and Helm template syntax", () => {
    expect(pipeline).not.toMatch(/\$\{|%\{|\{\{/);
  });

  test("its containers add up to the catalog's per-node resources", () => {
    const total = catalogResources(lab, "alloy");
    const parts = [values.alloy.resources, values.configReloader.resources];
    expect(parts.reduce((s, r) => s + Number(r.requests.memory.replace("Mi", "")), 0)).toBe(total.requestMemoryMiB);
    expect(parts.reduce((s, r) => s + Number(r.limits.memory.replace("Mi", "")), 0)).toBe(total.limitMemoryMiB);
    expect(parts.reduce((s, r) => s + Number(r.requests.cpu.replace("m", "")), 0)).toBe(total.requestMilliCpu);
    expect(Object.keys(ALLOY_RESOURCE_SHARES)).toEqual(["alloy", "configReloader"]);
  });

  test("fails when the Loki URL is not a push endpoint", () => {
    expect(() => build("http://loki:3100")).toThrow('lokiPushUrl "http://loki:3100" is not a Loki push endpoint');
  });
});
