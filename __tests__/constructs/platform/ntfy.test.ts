import { TerraformOutput } from "cdktf";
import { parse } from "yaml";
import { Ntfy, NTFY_IMAGE, ntfyServerConfig } from "../../../constructs/platform/ntfy";
import { loadLab } from "../../helpers";
import { appTemplateErrors } from "../../support/app-template-schema";
import { catalogResources, newStack, only, resourcesOf, synthJson } from "./apps-support";

const lab = loadLab();

function build(topic = "homelab-alerts") {
  const stack = newStack();
  const ntfy = new Ntfy(stack, "ntfy", {
    namespace: "ntfy",
    hostname: "ntfy",
    domain: lab.network.domain,
    resources: catalogResources(lab, "ntfy"),
    storageClassName: "longhorn",
    storageGiB: 1,
    topic,
  });
  return { ntfy, json: synthJson(stack) };
}

describe("Ntfy", () => {
  const { ntfy, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);
  const config = parse(resourcesOf(json, "kubernetes_secret_v1").find(([, s]) => s.metadata.name === "ntfy-config")![1].data["server.yml"]);

  test("runs the pinned ntfy image with app-template values the schema accepts", () => {
    expect(values.controllers.ntfy.containers.app.image).toEqual({ repository: "binwiederhier/ntfy", tag: NTFY_IMAGE.tag });
    expect(values.controllers.ntfy.containers.app.args).toEqual(["serve", "--config", "/etc/ntfy/server.yml"]);
    expect(appTemplateErrors(values)).toEqual([]);
  });

  test("is a private server: deny-all, an admin and a write-only publisher, hashes from state", () => {
    expect(config).toMatchObject({ "auth-default-access": "deny-all", "enable-signup": false, "base-url": "https://ntfy.home.arpa" });
    const passwords = resourcesOf(json, "random_password").map(([id]) => id);
    expect(passwords).toHaveLength(2);
    expect(config["auth-users"]).toEqual([
      expect.stringMatching(/^admin:\$\{random_password\.ntfy_admin_password_[0-9A-F]+\.bcrypt_hash\}:admin$/),
      expect.stringMatching(/^publisher:\$\{random_password\.ntfy_publisher_password_[0-9A-F]+\.bcrypt_hash\}:user$/),
    ]);
    expect(config["auth-access"]).toEqual(["publisher:homelab-alerts:wo"]);
  });

  test("keeps its data on Longhorn and is served at https://ntfy.<domain>", () => {
    expect(values.persistence.data).toMatchObject({ type: "persistentVolumeClaim", storageClass: "longhorn", size: "1Gi" });
    expect(ntfy.web.url).toBe("https://ntfy.home.arpa");
    expect(ntfy.inClusterUrl).toBe("http://ntfy.ntfy.svc.cluster.local:8080");
  });

  test("the publisher's Authorization header is built in Terraform from the generated password", () => {
    const stack = newStack();
    const n = new Ntfy(stack, "ntfy", { namespace: "ntfy", hostname: "ntfy", domain: "home.arpa", resources: catalogResources(lab, "ntfy"), storageClassName: "longhorn", storageGiB: 1, topic: "t" });
    new TerraformOutput(stack, "auth", { value: n.publisherAuthorization, sensitive: true });
    expect(synthJson(stack).output.auth.value).toMatch(/^Basic \$\{base64encode\("publisher:\$\{random_password\.ntfy_publisher_password_[0-9A-F]+\.result\}"\)\}$/);
  });

  test("the server config puts each user on one line", () => {
    expect(ntfyServerConfig({ baseUrl: "https://n", topic: "t", adminBcrypt: "A", publisherBcrypt: "P" })).toContain("- publisher:P:user");
  });

  test("fails when the topic is not a URL segment", () => {
    expect(() => build("lab alerts")).toThrow('topic "lab alerts" must be 1–64 letters');
  });
});
