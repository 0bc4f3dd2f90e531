/**
 * Writes config/homelab.schema.json from the zod schema, for editors (yaml-language-server) and
 * docs. A test fails when the committed file differs from what this prints.
 *
 *   npm run schema
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigJsonSchema } from "../config/json-schema";

const target = join(__dirname, "..", "config", "homelab.schema.json");
writeFileSync(target, renderConfigJsonSchema());
console.log(`wrote ${target}`);
