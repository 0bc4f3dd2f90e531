/** Shared setup for the platform-apps tests: a bare stack, a fake base layer, catalog lookups. */
import { Testing, TerraformStack } from "cdktf";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { platformComponents, type Resources } from "../../../config/apps";
import type { LabConfig } from "../../../config/schema";
import type { PlatformBase } from "../../../stacks/platform/contract";
import { PlatformNamespaces } from "../../../stacks/platform/namespaces";
import { synthJson } from "../../helpers";

export function newStack(id = "test"): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

/** A stand-in for the base layer: one marker resource per readiness list. */
export function fakeBase(stack: TerraformStack): PlatformBase {
  const marker = (name: string) => new NullResource(stack, name);
  return {
    namespaces: new PlatformNamespaces(stack),
    loadBalancerReady: [marker("metallb-ready")],
    storageReady: [marker("longhorn-ready")],
    storageClassName: "longhorn",
    ingressReady: [marker("traefik-ready")],
  };
}

export function catalogResources(lab: LabConfig, id: string): Resources {
  const c = platformComponents(lab).find((x) => x.id === id);
  if (!c) throw new Error(`no catalog component ${id}`);
  return c.resources;
}

/** The only resource of a type in synthesized JSON (throws when there are none or several). */
export function only(json: Record<string, any>, type: string): [string, any] {
  const entries = Object.entries(json.resource?.[type] ?? {});
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  return entries[0] as [string, any];
}

export function resourcesOf(json: Record<string, any>, type: string): [string, any][] {
  return Object.entries(json.resource?.[type] ?? {}) as [string, any][];
}

export { synthJson };
