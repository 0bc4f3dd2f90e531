/**
 * Generates the bpg/proxmox CDKTF bindings in `.gen/providers/proxmox` from a provider schema
 * (the JSON that `terraform providers schema -json` prints), without the Terraform registry.
 *
 *   npx tsx scripts/generate-proxmox-bindings.ts <schema.json>
 *
 * Online, `npx cdktf get` regenerates the same bindings from the registry (cdktf.json pins
 * bpg/proxmox). Only the resources the project uses are generated: the whole provider is about
 * 90,000 lines of TypeScript and doubles type-checking time.
 *
 * It also writes `__tests__/fixtures/proxmox-provider-schema.json`: the same resources reduced
 * to attribute names, types and required/optional/computed flags (no upstream prose), which the
 * tests use to check every attribute the infra stack synthesizes.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateProviderBindingsFromSchema } from "@cdktf/provider-generator";

const PROVIDER_SOURCE = "registry.terraform.io/bpg/proxmox";
const PROVIDER_VERSION = "0.111.1";

/** Terraform resource types the constructs use. Add one here, then rerun this script. */
export const USED_RESOURCES = [
  "proxmox_virtual_environment_vm",
  "proxmox_virtual_environment_file",
  "proxmox_download_file",
  "proxmox_haresource",
  "proxmox_harule",
];

interface SchemaBlock {
  attributes?: Record<string, Record<string, unknown>>;
  block_types?: Record<string, { nesting_mode: string; min_items?: number; max_items?: number; block: SchemaBlock }>;
  [key: string]: unknown;
}

/** Keeps what a validator needs (names, types, flags) and drops descriptions. */
function compact(block: SchemaBlock): SchemaBlock {
  const attributes: Record<string, Record<string, unknown>> = {};
  for (const [name, attr] of Object.entries(block.attributes ?? {})) {
    const { type, required, optional, computed, sensitive, deprecated } = attr;
    attributes[name] = Object.fromEntries(
      Object.entries({ type, required, optional, computed, sensitive, deprecated }).filter(([, v]) => v !== undefined),
    );
  }
  const blockTypes: SchemaBlock["block_types"] = {};
  for (const [name, nested] of Object.entries(block.block_types ?? {})) {
    blockTypes[name] = {
      nesting_mode: nested.nesting_mode,
      ...(nested.min_items !== undefined ? { min_items: nested.min_items } : {}),
      ...(nested.max_items !== undefined ? { max_items: nested.max_items } : {}),
      block: compact(nested.block),
    };
  }
  return { attributes, block_types: blockTypes };
}

async function main(): Promise<void> {
  const schemaPath = process.argv[2];
  if (!schemaPath || !existsSync(schemaPath)) {
    console.error(
      "usage: npm run get:offline -- <bpg/proxmox schema.json>: the output of `terraform providers schema -json` " +
        `for bpg/proxmox ${PROVIDER_VERSION} (${schemaPath ? `${schemaPath} does not exist` : "no file given"})`,
    );
    process.exit(2);
  }
  const root = resolve(__dirname, "..");
  const full = JSON.parse(readFileSync(resolve(schemaPath), "utf8"));
  const provider = full.provider_schemas[PROVIDER_SOURCE];
  if (!provider) throw new Error(`${schemaPath} has no provider ${PROVIDER_SOURCE}`);

  const missing = USED_RESOURCES.filter((r) => !provider.resource_schemas[r]);
  if (missing.length) throw new Error(`resource types missing from the schema: ${missing.join(", ")}`);
  const resourceSchemas = Object.fromEntries(USED_RESOURCES.map((r) => [r, provider.resource_schemas[r]]));

  const trimmed = {
    format_version: full.format_version,
    provider_schemas: {
      [PROVIDER_SOURCE]: { provider: provider.provider, resource_schemas: resourceSchemas, data_source_schemas: {} },
    },
    provider_versions: { [PROVIDER_SOURCE]: PROVIDER_VERSION },
  };

  const target = join(root, ".gen");
  rmSync(join(target, "providers", "proxmox"), { recursive: true, force: true });
  await generateProviderBindingsFromSchema(target, trimmed);

  const fixture = {
    generatedBy: "scripts/generate-proxmox-bindings.ts (do not edit)",
    provider: PROVIDER_SOURCE,
    version: PROVIDER_VERSION,
    provider_block: compact(provider.provider.block),
    resources: Object.fromEntries(USED_RESOURCES.map((r) => [r, compact(provider.resource_schemas[r].block)])),
  };
  mkdirSync(join(root, "__tests__", "fixtures"), { recursive: true });
  writeFileSync(join(root, "__tests__", "fixtures", "proxmox-provider-schema.json"), JSON.stringify(fixture, null, 1) + "\n");
  console.log(`generated .gen/providers/proxmox (${USED_RESOURCES.length} resources) and the schema fixture`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
