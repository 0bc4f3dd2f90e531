/**
 * Writes config/homelab.schema.json (for editors: yaml-language-server) and
 * docs/configuration.md (the key reference) from the zod schema. A test fails when either
 * committed file differs from what this writes.
 *
 *   npm run schema
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigJsonSchema } from "../config/json-schema";
import { renderConfigReference } from "../config/reference";

const root = join(__dirname, "..");
writeFileSync(join(root, "config", "homelab.schema.json"), renderConfigJsonSchema());
mkdirSync(join(root, "docs"), { recursive: true });
writeFileSync(join(root, "docs", "configuration.md"), renderConfigReference());
console.log("wrote config/homelab.schema.json and docs/configuration.md");
