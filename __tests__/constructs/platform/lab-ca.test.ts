import { LabCa } from "../../../constructs/platform/lab-ca";
import { synthJson } from "../../helpers";
import { clusterStack, resourcesOf } from "../../support/terraform";

function synth(props: Partial<ConstructorParameters<typeof LabCa>[2]> = {}) {
  const stack = clusterStack();
  const ca = new LabCa(stack, "lab-ca", { commonName: "homelab CA", namespace: "cert-manager", ...props });
  return { json: synthJson(stack), ca };
}

describe("LabCa", () => {
  test("an ECDSA P-256 key and a self-signed CA certificate valid 10 years, for signing only", () => {
    const { json } = synth();
    expect(Object.values(resourcesOf(json, "tls_private_key"))).toEqual([{ algorithm: "ECDSA", ecdsa_curve: "P256" }]);
    const [cert] = Object.values(resourcesOf(json, "tls_self_signed_cert"));
    expect(cert).toMatchObject({
      is_ca_certificate: true,
      validity_period_hours: 87600,
      allowed_uses: ["cert_signing", "crl_signing"],
      subject: [{ common_name: "homelab CA", organization: "homelab" }],
    });
    expect(json.provider.tls).toBeDefined();
  });

  test("the certificate is signed by the lab's own key and carries a subject key id, which certificates it signs point to", () => {
    const { json } = synth();
    const [keyId] = Object.keys(resourcesOf(json, "tls_private_key"));
    const [cert] = Object.values(resourcesOf(json, "tls_self_signed_cert"));
    expect(cert.private_key_pem).toBe(`\${tls_private_key.${keyId}.private_key_pem}`);
    // cert-manager writes the issuer's SKI as each leaf's authority key id; chain builders match on it.
    expect(cert.set_subject_key_id).toBe(true);
  });

  test("stores the key pair as a kubernetes.io/tls Secret in cert-manager's namespace, by reference only", () => {
    const { json, ca } = synth();
    const [secret] = Object.values(resourcesOf(json, "kubernetes_secret_v1"));
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(secret.metadata).toEqual({ name: "lab-ca", namespace: "cert-manager" });
    expect(secret.data["tls.key"]).toMatch(/^\$\{tls_private_key\.[^}]+\.private_key_pem\}$/);
    expect(secret.data["tls.crt"]).toMatch(/^\$\{tls_self_signed_cert\.[^}]+\.cert_pem\}$/);
    expect(ca.secretName).toBe("lab-ca");
    expect(JSON.stringify(json)).not.toContain("BEGIN");
  });

  test("fails when the validity is out of range", () => {
    expect(() => synth({ validityYears: 0 })).toThrow("LabCa lab-ca: validityYears 0 must be a whole number from 1 to 30");
  });

  test("fails when the CA has no name", () => {
    expect(() => synth({ commonName: " " })).toThrow('LabCa lab-ca: commonName is empty; name the CA, e.g. "homelab CA"');
  });
});
