/**
 * Providers that several platform constructs need (random passwords, the lab CA's keys). Terraform
 * allows one default configuration per provider in a stack, so constructs ask for the stack's
 * single instance instead of creating their own.
 */
import { TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";

function single<T extends IConstruct>(scope: IConstruct, id: string, make: (stack: TerraformStack) => T, type: new (...args: any[]) => T): T {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(id);
  if (existing instanceof type) return existing;
  if (existing) throw new Error(`the stack already has a child "${id}" that is not a ${type.name}; rename it`);
  return make(stack);
}

/** The stack's hashicorp/random provider (created on first use). */
export function randomProvider(scope: IConstruct): RandomProvider {
  return single(scope, "random", (stack) => new RandomProvider(stack, "random"), RandomProvider);
}

/** The stack's hashicorp/tls provider (created on first use). */
export function tlsProvider(scope: IConstruct): TlsProvider {
  return single(scope, "tls", (stack) => new TlsProvider(stack, "tls"), TlsProvider);
}

/** The stack's hashicorp/null provider (created on first use). */
export function nullProvider(scope: IConstruct): NullProvider {
  return single(scope, "null", (stack) => new NullProvider(stack, "null"), NullProvider);
}
