import { createHash } from "node:crypto";
import { TerraformStack, Testing } from "cdktf";
import { LocalProvider } from "@cdktf/provider-local/lib/provider";
import { AnsibleInventory } from "../../../constructs/ansible/ansible-inventory";
import { renderInventory } from "../../../constructs/ansible/inventory";
import { loadLab, synthJson } from "../../helpers";

function stackWith(props: Partial<ConstructorParameters<typeof AnsibleInventory>[2]> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  new LocalProvider(stack, "local");
  const inventory = new AnsibleInventory(stack, "inventory", { lab: loadLab(), ...props });
  return { stack, inventory };
}

test("writes the rendered inventory with local_file at ansible/inventory/hosts.yaml from the project root", () => {
  const { stack } = stackWith();
  const files = Object.values(synthJson(stack).resource.local_file) as any[];
  expect(files).toHaveLength(1);
  expect(files[0].filename).toBe("${path.root}/../../../ansible/inventory/hosts.yaml");
  expect(files[0].content).toBe(renderInventory(loadLab()));
  expect(files[0].file_permission).toBe("0644");
});

test("file and folder are readable like the rest of the checkout: the inventory holds no secret", () => {
  const { stack } = stackWith();
  const [file] = Object.values(synthJson(stack).resource.local_file) as any[];
  expect([file.file_permission, file.directory_permission]).toEqual(["0644", "0755"]);
});

test("sha256 is the hash of the exact content written", () => {
  const { inventory } = stackWith();
  expect(inventory.sha256).toBe(createHash("sha256").update(inventory.content).digest("hex"));
});

test("fails when the filename is not a YAML file", () => {
  expect(() => stackWith({ filename: "inventory/hosts.ini" })).toThrow(
    'AnsibleInventory inventory: filename "inventory/hosts.ini" must end in .yaml or .yml',
  );
});
