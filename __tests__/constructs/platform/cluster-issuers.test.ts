import { TerraformVariable } from "cdktf";
import { ClusterIssuers, type ClusterIssuersProps } from "../../../constructs/platform/cluster-issuers";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues, resourcesOf } from "../../support/terraform";

const PROPS: ClusterIssuersProps = {
  namespace: "cert-manager",
  labCaSecretName: "lab-ca",
  certificateDnsNames: ["*.home.arpa", "home.arpa", "longhorn.home.arpa"],
  certificateNamespace: "traefik",
  dependsOn: [],
};

describe("ClusterIssuers", () => {
  test("the lab CA issuer and a certificate it signs for every name, as a local chart after cert-manager", () => {
    const stack = clusterStack();
    const issuers = new ClusterIssuers(stack, "cluster-issuers", PROPS);
    const json = synthJson(stack);
    expect(helmRelease(json, "cluster-issuers")).toMatchObject({ namespace: "cert-manager", create_namespace: false });
    const values = helmValues(json, "cluster-issuers");
    expect(values.labCa).toEqual({ name: "lab-ca", secretName: "lab-ca" });
    expect(values.acme).toEqual({ enabled: false });
    expect(values.certificate).toEqual({
      name: "wildcard",
      namespace: "traefik",
      secretName: "wildcard-tls",
      issuerName: "lab-ca",
      dnsNames: ["*.home.arpa", "home.arpa", "longhorn.home.arpa"],
    });
    expect(issuers.issuerName).toBe("lab-ca");
    expect(resourcesOf(json, "kubernetes_secret_v1")).toEqual({});
  });

  test("with ACME: a Let's Encrypt DNS-01 issuer whose Cloudflare token comes from a sensitive variable", () => {
    const stack = clusterStack();
    const token = new TerraformVariable(stack, "cloudflare_api_token", { type: "string", sensitive: true });
    const issuers = new ClusterIssuers(stack, "cluster-issuers", {
      ...PROPS,
      acme: { email: "me@example.org", staging: true, cloudflareApiToken: token.stringValue },
    });
    const json = synthJson(stack);
    const values = helmValues(json, "cluster-issuers");
    expect(values.acme).toEqual({
      enabled: true,
      name: "letsencrypt",
      email: "me@example.org",
      server: "https://acme-staging-v02.api.letsencrypt.org/directory",
      cloudflare: { apiTokenSecretName: "cloudflare-api-token", apiTokenSecretKey: "api-token" },
    });
    expect(values.certificate.issuerName).toBe("letsencrypt");
    expect(issuers.issuerName).toBe("letsencrypt");
    const [secret] = Object.values(resourcesOf(json, "kubernetes_secret_v1"));
    expect(secret.metadata).toEqual({ name: "cloudflare-api-token", namespace: "cert-manager" });
    expect(secret.data).toEqual({ "api-token": "${var.cloudflare_api_token}" });
    expect(helmRelease(json, "cluster-issuers").depends_on).toContain(
      `kubernetes_secret_v1.${Object.keys(resourcesOf(json, "kubernetes_secret_v1"))[0]}`,
    );
  });

  test("production Let's Encrypt when staging is off", () => {
    const stack = clusterStack();
    new ClusterIssuers(stack, "cluster-issuers", {
      ...PROPS,
      acme: { email: "me@example.org", staging: false, cloudflareApiToken: "${var.cloudflare_api_token}" },
    });
    expect(helmValues(synthJson(stack), "cluster-issuers").acme.server).toBe("https://acme-v02.api.letsencrypt.org/directory");
  });

  test("fails when the Cloudflare token is a literal", () => {
    expect(
      () =>
        new ClusterIssuers(clusterStack(), "cluster-issuers", {
          ...PROPS,
          acme: { email: "me@example.org", staging: true, cloudflareApiToken: "abc123" },
        }),
    ).toThrow("ClusterIssuers cluster-issuers: the Cloudflare token is a literal; pass a sensitive Terraform variable");
  });

  test("fails when a certificate name is not a DNS name", () => {
    expect(() => new ClusterIssuers(clusterStack(), "cluster-issuers", { ...PROPS, certificateDnsNames: ["*.Home.arpa"] })).toThrow(
      'ClusterIssuers cluster-issuers: "*.Home.arpa" is not a DNS name (lowercase labels, optional leading *.)',
    );
  });

  test("fails when the certificate has no name", () => {
    expect(() => new ClusterIssuers(clusterStack(), "cluster-issuers", { ...PROPS, certificateDnsNames: [] })).toThrow(
      "ClusterIssuers cluster-issuers: certificateDnsNames is empty; give at least *.<domain>",
    );
  });
});
