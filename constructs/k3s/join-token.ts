import { Construct } from "constructs";
import { Fn } from "cdktf";
import { Password } from "@cdktf/provider-random/lib/password";
import { DataGuard } from "../data-guard";

export interface JoinTokenProps {
  /** @default 48 */
  readonly lengthChars?: number;
}

/**
 * The K3s cluster token, generated once and kept (sensitive) in Terraform state. Every server must
 * present the same value for the cluster's lifetime: K3s encrypts its bootstrap data with it, so a
 * new token would lock the servers out. Hence `ignore_changes = all` (editing this construct never
 * replaces it) and letters and digits only (no quoting trouble in config files or shells).
 * Needs a `random` provider in the stack.
 */
export class JoinToken extends Construct {
  public readonly password: Password;
  /**
   * `prevent_destroy`: destroying the k3s stack while the servers run, then deploying it again,
   * would generate a new token that the servers' bootstrap data does not open.
   */
  public readonly guard: DataGuard;

  constructor(scope: Construct, id: string, props: JoinTokenProps = {}) {
    super(scope, id);
    const length = props.lengthChars ?? 48;
    if (!Number.isInteger(length) || length < 32 || length > 128) {
      throw new Error(`JoinToken ${id}: lengthChars ${length} is out of range; use an integer from 32 to 128 (default 48)`);
    }
    this.password = new Password(this, "password", {
      length,
      special: false,
      upper: true,
      lower: true,
      numeric: true,
      lifecycle: { ignoreChanges: "all" },
    });
    this.guard = new DataGuard(this, "guard", { resource: this.password, name: "join-token", holds: "the key to the cluster's bootstrap data" });
  }

  /** A Terraform reference to the token (sensitive); never a literal. */
  public get value(): string {
    return this.password.result;
  }

  /**
   * The token's SHA-256 as a Terraform expression, marked not sensitive (a hash of 48 random
   * letters and digits reveals nothing): a rerun trigger that changes when the token is rotated.
   */
  public get sha256(): string {
    return Fn.nonsensitive(Fn.sha256(this.password.result));
  }
}
