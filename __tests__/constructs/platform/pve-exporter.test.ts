import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import { parse } from "yaml";
import { PveExporter, PVE_EXPORTER_IMAGE, PVE_MONITORING_TOKEN_NAME, PVE_MONITORING_USER } from "../../../constructs/platform/pve-exporter";
import { loadLab } from "../../helpers";
import { appTemplateErrors } from "../../support/app-template-schema";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();

function build(tokenSecret?: string) {
  const stack = newStack();
  const token = new TerraformVariable(stack, "pve_exporter_token", { type: "string", sensitive: true });
  const exporter = new PveExporter(stack, "pve-exporter", {
    namespace: "observability",
    tokenSecret: tokenSecret ?? token.stringValue,
    verifyTls: false,
    resources: catalogResources(lab, "pve-exporter"),
  });
  return { exporter, json: synthJson(stack) };
}

describe("PveExporter", () => {
  const { exporter, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);
  const container = values.controllers["pve-exporter"].containers.app;

  test("runs the pinned prometheus-pve-exporter image with app-template values the schema accepts", () => {
    expect(container.image).toEqual({ repository: "prompve/prometheus-pve-exporter", tag: PVE_EXPORTER_IMAGE.tag });
    expect(PVE_EXPORTER_IMAGE.tag).toMatch(/^\d+\.\d+\.\d+$/);
    expect(appTemplateErrors(values)).toEqual([]);
  });

  test("logs in as the read-only monitoring user, the secret only from the sensitive variable", () => {
    expect(container.env).toEqual({ PVE_USER: "monitoring@pve", PVE_TOKEN_NAME: "exporter", PVE_VERIFY_SSL: "false" });
    const [, secret] = only(json, "kubernetes_secret_v1");
    expect(secret.data).toEqual({ PVE_TOKEN_VALUE: "${var.pve_exporter_token}" });
    expect(container.envFrom).toEqual([{ secretRef: { name: secret.metadata.name } }]);
    expect(JSON.stringify(json)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/);
  });

  test("the user and token names are the ones the pve_api_token role creates, with PVEAuditor", () => {
    const defaults = parse(readFileSync(join(__dirname, "..", "..", "..", "ansible", "roles", "pve_api_token", "defaults", "main.yml"), "utf8"));
    expect([defaults.pve_api_token_monitoring_user, defaults.pve_api_token_monitoring_token_name]).toEqual([PVE_MONITORING_USER, PVE_MONITORING_TOKEN_NAME]);
    expect(defaults.pve_api_token_monitoring_role).toBe("PVEAuditor");
  });

  test("is reached at its Service on 9221", () => {
    expect(exporter.address).toBe("pve-exporter.observability.svc.cluster.local:9221");
    expect(values.service["pve-exporter"].ports.http.port).toBe(9221);
    expect(container.resources).toEqual({ requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } });
  });

  test("fails when the token is a literal", () => {
    expect(() => build("0f1e2d3c")).toThrow("tokenSecret is a literal");
  });
});
