import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { JoinToken } from "../../../constructs/k3s/join-token";
import { synthJson } from "../../helpers";

function build(props?: ConstructorParameters<typeof JoinToken>[2]) {
  const stack = new TerraformStack(Testing.app(), "test");
  new RandomProvider(stack, "random");
  const token = new JoinToken(stack, "join-token", props);
  return { stack, token };
}

test("is a 48-character alphanumeric random_password that never regenerates", () => {
  const { stack } = build();
  const [password] = Object.values(synthJson(stack).resource.random_password) as any[];
  expect(password).toMatchObject({ length: 48, special: false, upper: true, lower: true, numeric: true });
  expect(password.lifecycle).toEqual({ ignore_changes: "all", prevent_destroy: true });
});

test("is guarded against destruction as join-token; lifting the guard leaves ignore_changes", () => {
  const { stack, token } = build();
  expect(token.guard.name).toBe("join-token");
  token.guard.allowDestroy();
  const [password] = Object.values(synthJson(stack).resource.random_password) as any[];
  expect(password.lifecycle).toEqual({ ignore_changes: "all" });
});

test("sha256 is Terraform's hash of the result, marked not sensitive: a trigger, never the token", () => {
  const { stack, token } = build();
  new TerraformOutput(stack, "hash", { value: token.sha256 });
  expect(synthJson(stack).output.hash.value).toMatch(/^\$\{nonsensitive\(sha256\(random_password\.join-token_password_[A-Z0-9]+\.result\)\)\}$/);
});

test("value is a reference to the password's result, never a literal", () => {
  const { stack, token } = build();
  new TerraformOutput(stack, "token", { value: token.value, sensitive: true });
  expect(synthJson(stack).output.token.value).toMatch(/^\$\{random_password\.join-token_password_[A-Z0-9]+\.result\}$/);
});

test("fails when the length is too short for a cluster secret", () => {
  expect(() => build({ lengthChars: 16 })).toThrow("JoinToken join-token: lengthChars 16 is out of range; use an integer from 32 to 128");
});
