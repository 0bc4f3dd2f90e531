/** Writes docs/constructs.md (see scripts/lib/construct-index.ts). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderConstructIndex } from "./lib/construct-index";

const root = join(__dirname, "..");
writeFileSync(join(root, "docs", "constructs.md"), renderConstructIndex(root));
console.log("wrote docs/constructs.md");
