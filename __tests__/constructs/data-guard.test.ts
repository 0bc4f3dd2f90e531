import { TerraformStack, Testing } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { DataGuard } from "../../constructs/data-guard";
import { synthJson } from "../helpers";

function build() {
  const stack = new TerraformStack(Testing.app(), "test");
  new NullProvider(stack, "null");
  const plain = new Resource(stack, "plain", {});
  const ignored = new Resource(stack, "ignored", { lifecycle: { ignoreChanges: ["triggers"] } });
  return {
    stack,
    plain: new DataGuard(stack, "plain-guard", { resource: plain, name: "plain", holds: "nothing" }),
    ignored: new DataGuard(stack, "ignored-guard", { resource: ignored, name: "ignored", holds: "nothing" }),
  };
}

const lifecycles = (stack: TerraformStack) =>
  Object.fromEntries(Object.entries(synthJson(stack).resource.null_resource as Record<string, any>).map(([id, r]) => [id.split("_")[0], r.lifecycle]));

test("adds prevent_destroy, keeping the resource's other lifecycle settings", () => {
  const { stack } = build();
  expect(lifecycles(stack)).toEqual({ plain: { prevent_destroy: true }, ignored: { ignore_changes: ["triggers"], prevent_destroy: true } });
});

test("lift by name removes prevent_destroy only from the named guards, and leaves no empty lifecycle", () => {
  const { stack } = build();
  expect(DataGuard.lift(stack, ["plain"])).toEqual(["plain"]);
  expect(lifecycles(stack)).toEqual({ plain: undefined, ignored: { ignore_changes: ["triggers"], prevent_destroy: true } });
  expect(DataGuard.lift(stack, "all")).toEqual(["plain", "ignored"]);
  expect(lifecycles(stack)).toEqual({ plain: undefined, ignored: { ignore_changes: ["triggers"] } });
});

test("fails when lift names a guard that does not exist", () => {
  const { stack } = build();
  expect(() => DataGuard.lift(stack, ["plian"])).toThrow(
    'allowDestroy (HOMELAB_ALLOW_DESTROY) names "plian", which no guarded resource of this lab has; use some of ignored, plain, or all',
  );
});

test("fails when the name is not a DNS label", () => {
  const stack = new TerraformStack(Testing.app(), "test");
  new NullProvider(stack, "null");
  expect(() => new DataGuard(stack, "g", { resource: new Resource(stack, "r", {}), name: "Vault Data", holds: "x" })).toThrow(
    `DataGuard g: name "Vault Data" is not a DNS label; use lowercase letters, digits and '-', e.g. vaultwarden-data`,
  );
});
