/**
 * Draws the lab from its config as Mermaid: writes docs/lab-diagram.md and, when README.md holds
 * the lab-diagram markers, refreshes the diagram between them.
 *
 *   npm run diagram                          # from homelab.yaml (or HOMELAB_CONFIG)
 *   npm run diagram -- --out my-lab.md       # somewhere else (README.md is left alone)
 *   npm run diagram -- --check               # exit 1 when the files are stale (CI)
 *
 * The committed docs/lab-diagram.md shows the default lab; a test compares it with the default
 * fixture's render, so regenerate it with:
 *   HOMELAB_CONFIG=__tests__/fixtures/labs/default.yaml npm run diagram
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatProblems, loadLabFile } from "../config/load";
import { DIAGRAM_FILE, renderDiagramDocument, replaceReadmeBlock } from "./lib/diagram";

const ROOT = join(__dirname, "..");

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (!value || value.startsWith("--")) {
    console.error(`diagram: ${name} needs a file name, e.g. ${name} my-lab.md`);
    process.exit(2);
  }
  return value;
}

const configFile = process.env.HOMELAB_CONFIG ?? join(ROOT, "homelab.yaml");
const check = process.argv.includes("--check");
const customOut = option("--out");

const result = loadLabFile(configFile);
if (!result.ok) {
  console.error(`diagram: ${configFile} is not valid, nothing was drawn:\n${formatProblems(result.problems)}`);
  process.exit(1);
}

const targets: { file: string; content: string }[] = [
  { file: customOut ? resolve(customOut) : join(ROOT, DIAGRAM_FILE), content: renderDiagramDocument(result.lab) },
];
const readmeFile = join(ROOT, "README.md");
if (!customOut && existsSync(readmeFile)) {
  const readme = replaceReadmeBlock(readFileSync(readmeFile, "utf8"), result.lab);
  if (readme !== undefined) targets.push({ file: readmeFile, content: readme });
}

let stale = 0;
for (const { file, content } of targets) {
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (current === content) {
    console.log(`${file}: up to date`);
  } else if (check) {
    console.error(`${file}: stale; run npm run diagram`);
    stale++;
  } else {
    writeFileSync(file, content);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale ? 1 : 0);
