import { Token } from "cdktf";
import { TraefikBasicAuth } from "../../../constructs/platform/traefik-basic-auth";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues, resourcesOf } from "../../support/terraform";

function synth(count = 1) {
  const stack = clusterStack();
  const auths = ["longhorn-ui-auth", "other-auth"].slice(0, count).map(
    (name) => new TraefikBasicAuth(stack, name, { name, namespace: "longhorn-system", namespaceReady: [], traefikReady: [] }),
  );
  return { json: synthJson(stack), auths };
}

describe("TraefikBasicAuth", () => {
  test("a random password whose bcrypt hash (not the password) goes into an htpasswd Secret", () => {
    const { json, auths } = synth();
    const [password] = Object.values(resourcesOf(json, "random_password"));
    expect(password).toEqual({ length: 24, special: false });
    const [secret] = Object.values(resourcesOf(json, "kubernetes_secret_v1"));
    expect(secret.metadata).toEqual({ name: "longhorn-ui-auth-users", namespace: "longhorn-system" });
    expect(secret.data.users).toMatch(/^admin:\$\{random_password\.[^}]+\.bcrypt_hash\}$/);
    expect(Token.isUnresolved(auths[0].password)).toBe(true);
  });

  test("the Middleware comes from a local chart released after the Secret", () => {
    const { json, auths } = synth();
    expect(helmValues(json, "longhorn-ui-auth")).toEqual({ name: "longhorn-ui-auth", secretName: "longhorn-ui-auth-users" });
    const secretId = Object.keys(resourcesOf(json, "kubernetes_secret_v1"))[0];
    expect(helmRelease(json, "longhorn-ui-auth").depends_on).toEqual([`kubernetes_secret_v1.${secretId}`]);
    expect(auths[0].middleware).toEqual({ namespace: "longhorn-system", name: "longhorn-ui-auth" });
  });

  test("two of them share the stack's single random provider", () => {
    const { json } = synth(2);
    expect(Object.keys(json.provider.random)).toHaveLength(1);
    expect(Object.keys(resourcesOf(json, "random_password"))).toHaveLength(2);
  });

  test("fails when the name is not a DNS label", () => {
    expect(() => new TraefikBasicAuth(clusterStack(), "auth", { name: "UI auth", namespace: "x", namespaceReady: [], traefikReady: [] })).toThrow(
      `TraefikBasicAuth auth: name "UI auth" is not a DNS label; use lowercase letters, digits and '-'`,
    );
  });

  test("fails when the username would break the htpasswd line", () => {
    expect(
      () => new TraefikBasicAuth(clusterStack(), "auth", { name: "auth", namespace: "x", username: "ad:min", namespaceReady: [], traefikReady: [] }),
    ).toThrow(`TraefikBasicAuth auth: username "ad:min" may hold only letters, digits, '.', '_' and '-'`);
  });
});
