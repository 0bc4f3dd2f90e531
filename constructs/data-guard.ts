import { Construct, type IConstruct } from "constructs";
import type { TerraformResource, TerraformResourceLifecycle } from "cdktf";

/** Which guards a run lifts: every one, or some by name. */
export type AllowDestroy = "all" | readonly string[];

/** A run asked to lift a guard that does not exist: the user's input, not a bug of the checks. */
export class AllowDestroyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AllowDestroyError";
  }
}

export interface DataGuardProps {
  /** The resource whose destruction loses what the lab cannot re-create. */
  readonly resource: TerraformResource;
  /** The name a run gives to lift this guard (HOMELAB_ALLOW_DESTROY), e.g. a VM or claim name. */
  readonly name: string;
  /** What is lost with it, e.g. "an etcd member and its Longhorn replicas". */
  readonly holds: string;
}

const GUARD_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Terraform's `prevent_destroy` on a resource that holds data: a plan that would destroy or
 * replace it fails (`Instance cannot be destroyed`) and nothing is applied. A run that means it
 * lifts the guard by name (`DataGuard.lift`; main.ts takes the names from HOMELAB_ALLOW_DESTROY),
 * like CDK's RETAIN removal policy for stateful resources. Removing the resource from the
 * configuration removes its guard too: Terraform can only refuse what the configuration still holds.
 *
 * @example
 * new DataGuard(this, "guard", { resource: claim, name: "vaultwarden-data", holds: "the Vaultwarden database" });
 */
export class DataGuard extends Construct {
  /** Every guard under a scope, in construct order. */
  public static all(scope: IConstruct): DataGuard[] {
    return scope.node.findAll().filter((c): c is DataGuard => c instanceof DataGuard);
  }

  /**
   * Lifts the guards that `allow` names under `scope` and returns their names. Fails on a name
   * no guard has, listing those that exist, so a typo never leaves a run thinking it may destroy.
   */
  public static lift(scope: IConstruct, allow: AllowDestroy): string[] {
    const guards = DataGuard.all(scope);
    if (allow !== "all") {
      const known = new Set(guards.map((g) => g.name));
      const unknown = allow.filter((name) => !known.has(name));
      if (unknown.length) {
        throw new AllowDestroyError(
          `allowDestroy (HOMELAB_ALLOW_DESTROY) names ${unknown.map((n) => `"${n}"`).join(", ")}, which no guarded resource of this lab has; ` +
            `use some of ${[...known].sort().join(", ")}, or all`,
        );
      }
    }
    const lifted = guards.filter((g) => allow === "all" || allow.includes(g.name));
    for (const guard of lifted) guard.allowDestroy();
    // One name may guard several resources (the cluster's CA keys): each name once.
    return [...new Set(lifted.map((g) => g.name))];
  }

  public readonly name: string;
  public readonly holds: string;
  public readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: DataGuardProps) {
    super(scope, id);
    if (!GUARD_NAME.test(props.name)) {
      throw new Error(`DataGuard ${id}: name "${props.name}" is not a DNS label; use lowercase letters, digits and '-', e.g. vaultwarden-data`);
    }
    this.name = props.name;
    this.holds = props.holds;
    this.resource = props.resource;
    this.resource.lifecycle = { ...this.resource.lifecycle, preventDestroy: true };
  }

  /** Lets plans destroy or replace the resource (the key is then absent from the JSON). */
  public allowDestroy(): void {
    const rest: TerraformResourceLifecycle = Object.fromEntries(
      Object.entries(this.resource.lifecycle ?? {}).filter(([key]) => key !== "preventDestroy"),
    );
    this.resource.lifecycle = Object.keys(rest).length ? rest : undefined;
  }

  /** Whether plans are refused from destroying the resource. */
  public get guarded(): boolean {
    return this.resource.lifecycle?.preventDestroy === true;
  }
}

/**
 * HOMELAB_ALLOW_DESTROY as main.ts receives it: unset or empty lifts nothing, `all` every guard,
 * otherwise a comma-separated list of guard names.
 */
export function parseAllowDestroy(value: string | undefined): AllowDestroy {
  const trimmed = (value ?? "").trim();
  if (trimmed === "all") return "all";
  return trimmed === "" ? [] : trimmed.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
