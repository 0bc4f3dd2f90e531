import { parse } from "yaml";
import { LONGHORN_BACKUP_LABELS, Vaultwarden } from "../../../constructs/platform/vaultwarden";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();

function build(overrides: Partial<ConstructorParameters<typeof Vaultwarden>[2]> = {}) {
  const stack = newStack();
  const vaultwarden = new Vaultwarden(stack, "vaultwarden", {
    namespace: "vaultwarden",
    hostname: "vaultwarden",
    domain: lab.network.domain,
    storageClassName: "longhorn",
    storageGiB: lab.platform.apps.vaultwarden.storageGiB,
    signupsAllowed: lab.platform.apps.vaultwarden.signupsAllowed,
    resources: catalogResources(lab, "vaultwarden"),
    ...overrides,
  });
  return { vaultwarden, json: synthJson(stack) };
}

describe("Vaultwarden", () => {
  const { vaultwarden, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);

  test("guards its data claim against destruction as vaultwarden-data (deleting it deletes the Longhorn volume)", () => {
    const [, claim] = only(json, "kubernetes_persistent_volume_claim_v1");
    expect(claim.lifecycle).toEqual({ prevent_destroy: true });
    expect(vaultwarden.dataGuard).toMatchObject({ name: "vaultwarden-data", guarded: true });
    expect(release.lifecycle).toBeUndefined();
  });

  test("pins guerzon/vaultwarden 0.43.1", () => {
    expect(release).toMatchObject({ chart: "vaultwarden", repository: "https://guerzon.github.io/vaultwarden", version: "0.43.1" });
  });

  test("knows itself only by its HTTPS URL and is reachable only through the ingress", () => {
    expect(values.domain).toBe("https://vaultwarden.home.arpa");
    expect(values.ingress).toEqual({ enabled: false });
    expect(values.service).toEqual({ type: "ClusterIP" });
    expect(vaultwarden.web.url).toBe("https://vaultwarden.home.arpa");
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.tls).toEqual([{ hosts: ["vaultwarden.home.arpa"] }]);
  });

  test("signups follow the config (off by default)", () => {
    expect(lab.platform.apps.vaultwarden.signupsAllowed).toBe(false);
    expect(values.signupsAllowed).toBe(false);
    expect(parse(only(build({ signupsAllowed: true }).json, "helm_release")[1].values[0]).signupsAllowed).toBe(true);
  });

  test("invitations stay allowed when signups are off, so an existing member can still add the household", () => {
    expect(values.signupsAllowed).toBe(false);
    expect(values.invitationsAllowed).toBe(true);
  });

  test("runs as a Deployment that stops the old pod before starting the new one (its volume is ReadWriteOnce)", () => {
    expect(values.resourceType).toBe("Deployment");
    // RollingUpdate would start the new pod while the old one holds the volume: stuck on Multi-Attach.
    expect(values.strategy).toEqual({ type: "Recreate" });
  });

  test("the admin token comes only from a sensitive variable that must be empty or argon2", () => {
    const variable = json.variable.vaultwarden_admin_token;
    expect(variable).toMatchObject({ type: "string", default: "", sensitive: true, nullable: false });
    expect(variable.validation[0].condition).toBe(
      '${((length(var.vaultwarden_admin_token) < 1) || startswith(var.vaultwarden_admin_token, "$argon2"))}',
    );
    // Through a Secret: Helm's --set (set_sensitive) would cut the argon2 string at its first comma.
    expect(release.set_sensitive).toBeUndefined();
    expect(values.adminToken).toEqual({ existingSecret: "vaultwarden-admin-token", existingSecretKey: "ADMIN_TOKEN" });
    const [secretId, secret] = only(json, "kubernetes_secret_v1");
    expect(secret.metadata.name).toBe("vaultwarden-admin-token");
    expect(secret.data).toEqual({ ADMIN_TOKEN: "${var.vaultwarden_admin_token}" });
    expect(release.depends_on).toContain(`kubernetes_secret_v1.${secretId}`);
  });

  test("keeps its data on a Longhorn PVC in the backed-up recurring-job group", () => {
    const [pvcId, pvc] = only(json, "kubernetes_persistent_volume_claim_v1");
    expect(pvc.metadata.labels).toMatchObject(LONGHORN_BACKUP_LABELS);
    expect(pvc.spec).toMatchObject({ storage_class_name: "longhorn", access_modes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } });
    expect(values.storage).toEqual({ existingVolumeClaim: { claimName: pvc.metadata.name, dataPath: "/data" } });
    expect(release.depends_on).toContain(`kubernetes_persistent_volume_claim_v1.${pvcId}`);
  });

  test("requests and limits come from the catalog", () => {
    expect(values.resources).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } });
  });

  test("fails when the volume size is not a whole number of GiB", () => {
    expect(() => build({ storageGiB: 1.5 })).toThrow("Vaultwarden vaultwarden: storageGiB 1.5 must be a whole number of GiB >= 1");
  });
});
