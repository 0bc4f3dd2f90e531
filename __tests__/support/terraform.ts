/** Helpers for tests of the platform constructs: a stack with the cluster providers, and lookups in its JSON. */
import { App, TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { KubernetesAccess } from "../../constructs/kubernetes-access";

/** Stand-ins for the k3s stack's credential (the platform stack gets cross-stack references). */
export const TEST_CLUSTER_ACCESS = {
  host: "https://192.168.1.50:6443",
  clusterCaCertificate: "${var.cluster_ca_certificate}",
  clientCertificate: "${var.client_certificate}",
  clientKey: "${var.client_key}",
} as const;

/** A bare stack with the helm and kubernetes providers, as the platform stack has. */
export function clusterStack(): TerraformStack {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, "test");
  new KubernetesAccess(stack, "cluster", { access: TEST_CLUSTER_ACCESS });
  return stack;
}

export type Json = Record<string, any>;

/** Every resource of a type, keyed by logical id. */
export function resourcesOf(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** The helm_release named `name` (Helm release name), with its logical id. */
export function helmRelease(json: Json, name: string): Json & { logicalId: string } {
  const found = Object.entries(resourcesOf(json, "helm_release")).filter(([, r]) => r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one helm_release named ${name}, found ${found.length}: ${Object.values(resourcesOf(json, "helm_release")).map((r) => r.name).join(", ")}`);
  }
  return { ...found[0][1], logicalId: found[0][0] };
}

/** The values a release passes to its chart, parsed back from YAML. */
export function helmValues(json: Json, name: string): Json {
  const release = helmRelease(json, name);
  return parse(release.values[0]) as Json;
}

/** `helm_release.<logical id>` of a release, as it appears in depends_on. */
export function releaseAddress(json: Json, name: string): string {
  return `helm_release.${helmRelease(json, name).logicalId}`;
}

/** The depends_on list of a release. */
export function releaseDependsOn(json: Json, name: string): string[] {
  return helmRelease(json, name).depends_on ?? [];
}
