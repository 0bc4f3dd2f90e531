/**
 * Validation of rendered Kubernetes objects:
 * - built-in kinds against the Kubernetes OpenAPI schemas compiled into the `kubernetes-models`
 *   npm package (types, required fields, enums; those schemas leave unknown fields open);
 * - custom resources against their CRD's structural schema (scripts/lib/crd-schema.ts), with
 *   unknown fields as errors; their `metadata` against ObjectMeta from the same package;
 * - anything else (an apiVersion/kind that neither knows) is an error: the API server would
 *   refuse it too.
 * `kubernetes-models` is an ES module, loaded with import().
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { CrdSchemas, describeErrors } from "./crd-schema";

type Json = Record<string, any>;

interface ModelClass {
  new (data: Json): { validate(): void };
}

const MODELS_DIR = dirname(require.resolve("kubernetes-models/package.json"));

/** `[group, version]` of an apiVersion (`v1` → `["", "v1"]`). */
function groupVersion(apiVersion: string): [string, string] {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

/** The `kubernetes-models` module of a built-in kind (`apps/v1` Deployment → `kubernetes-models/apps/v1/Deployment`). */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = groupVersion(apiVersion);
  return ["kubernetes-models", group, version, kind].filter((p) => p !== "").join("/");
}

/** Whether the models have this kind (checked on disk: jest's resolver cannot resolve ESM-only exports). */
function hasModel(apiVersion: string, kind: string): boolean {
  const [group, version] = groupVersion(apiVersion);
  return /^[A-Za-z0-9]+$/.test(kind) && existsSync(join(MODELS_DIR, group, version, `${kind}.js`));
}

/** API groups of Kubernetes itself (a folder of the models, or core). */
function isBuiltInGroup(apiVersion: string): boolean {
  const [group] = groupVersion(apiVersion);
  return group === "" || (/^[a-z0-9.-]+$/.test(group) && existsSync(join(MODELS_DIR, group)));
}

/**
 * API versions the models still describe but Kubernetes 1.35 no longer serves (removed in 1.16
 * to 1.32, per the Kubernetes deprecated API migration guide): `group/version` → kinds (`*`: all).
 */
export const REMOVED_APIS: Readonly<Record<string, readonly string[]>> = {
  "extensions/v1beta1": ["*"],
  "apps/v1beta1": ["*"],
  "apps/v1beta2": ["*"],
  "policy/v1beta1": ["PodDisruptionBudget", "PodSecurityPolicy"],
  "batch/v1beta1": ["CronJob"],
  "autoscaling/v2beta1": ["HorizontalPodAutoscaler"],
  "autoscaling/v2beta2": ["HorizontalPodAutoscaler"],
  "networking.k8s.io/v1beta1": ["Ingress", "IngressClass"],
  "rbac.authorization.k8s.io/v1beta1": ["*"],
  "apiextensions.k8s.io/v1beta1": ["CustomResourceDefinition"],
  "admissionregistration.k8s.io/v1beta1": ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
  "storage.k8s.io/v1beta1": ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment", "CSIStorageCapacity"],
  "discovery.k8s.io/v1beta1": ["EndpointSlice"],
  "events.k8s.io/v1beta1": ["Event"],
  "node.k8s.io/v1beta1": ["RuntimeClass"],
  "flowcontrol.apiserver.k8s.io/v1beta1": ["*"],
  "flowcontrol.apiserver.k8s.io/v1beta2": ["*"],
  "flowcontrol.apiserver.k8s.io/v1beta3": ["*"],
  "scheduling.k8s.io/v1beta1": ["PriorityClass"],
  "certificates.k8s.io/v1beta1": ["CertificateSigningRequest"],
  "coordination.k8s.io/v1beta1": ["Lease"],
};

/** Loads every CRD fixture (`*.json` as written by scripts/derive-crd-schemas.ts) under a folder. */
export function loadCrdFixtures(dir: string, into = new CrdSchemas()): CrdSchemas {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) loadCrdFixtures(path, into);
    else if (entry.endsWith(".json")) {
      const fixture = JSON.parse(readFileSync(path, "utf8")) as Json;
      for (const v of fixture.versions) {
        if (v.served) into.add({ group: fixture.group, version: v.name, kind: fixture.kind, scope: fixture.scope, schema: v.schema, source: fixture.source });
      }
    }
  }
  return into;
}

/** Problems a kubernetes-models class finds in `data` (its validate() throws a ValidationError with ajv errors). */
function modelProblems(Model: ModelClass, data: Json): string[] {
  try {
    new Model(data).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw error;
    return describeErrors(errors);
  }
}

export class ObjectValidator {
  private readonly models = new Map<string, ModelClass>();
  private objectMeta?: ModelClass;

  constructor(public readonly crds: CrdSchemas) {}

  private async model(apiVersion: string, kind: string): Promise<ModelClass> {
    const module = modelModule(apiVersion, kind);
    let model = this.models.get(module);
    if (model === undefined) {
      model = ((await import(module)) as Record<string, ModelClass>)[kind];
      if (typeof model !== "function") throw new Error(`${module} does not export ${kind}`);
      this.models.set(module, model);
    }
    return model;
  }

  private async metadataProblems(metadata: unknown): Promise<string[]> {
    if (this.objectMeta === undefined) {
      const { ObjectMeta } = (await import("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta")) as unknown as { ObjectMeta: ModelClass };
      this.objectMeta = ObjectMeta;
    }
    return modelProblems(this.objectMeta, metadata as Json).map((line) => `metadata${line.startsWith("(root)") ? line.slice(6) : `.${line}`}`);
  }

  /** Problems of one object, each `field: what is wrong` (empty when valid). */
  async validate(object: Json): Promise<string[]> {
    if (typeof object?.apiVersion !== "string" || typeof object?.kind !== "string") return ["(root): no apiVersion or kind"];
    if (typeof object.metadata?.name !== "string" || object.metadata.name === "") return ["metadata.name: missing"];
    const { apiVersion, kind } = object;
    const crdProblems = this.crds.validate(object);
    if (crdProblems !== undefined) return [...(await this.metadataProblems(object.metadata)), ...crdProblems];
    const removed = REMOVED_APIS[apiVersion];
    if (removed && (removed.includes("*") || removed.includes(kind))) return [`(root): ${apiVersion} ${kind} was removed from Kubernetes (deprecated API migration guide)`];
    if (!hasModel(apiVersion, kind)) {
      const [group] = groupVersion(apiVersion);
      const others = this.crds.versionsOf(group, kind);
      return [
        others.length > 0
          ? `(root): ${kind} is not served as ${apiVersion}; its CRD serves ${others.map((v) => `${group}/${v}`).join(", ")}`
          : isBuiltInGroup(apiVersion)
            ? `(root): Kubernetes has no ${apiVersion} ${kind}`
            : `(root): no CRD for ${apiVersion} ${kind} (neither in the CRD fixtures nor rendered by a chart of the stack)`,
      ];
    }
    return modelProblems(await this.model(apiVersion, kind), object);
  }
}
