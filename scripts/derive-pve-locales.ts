/**
 * `npm run pve:locales -- <pve-installer folder>`: derives pve/installer-locales.json, the
 * keyboard layouts, country codes and timezones the Proxmox VE automated installer accepts, from
 * the installer's own locales.json (the folder holds it, e.g. ../shared/pve-installer). The
 * project reads only the derived file: the reference folder is not needed at run time or in tests.
 *
 * What is kept: keyboard code -> name; country code -> name and the country's default keyboard
 * (empty when the installer has none); timezone -> its country. The installer accepts a
 * timezone when it belongs to a country's list, or is UTC.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface InstallerLocales {
  kmap: Record<string, { name: string }>;
  country: Record<string, { name: string; kmap: string }>;
  cczones: Record<string, Record<string, number>>;
}

const folder = process.argv[2];
if (!folder) {
  console.error("usage: npm run pve:locales -- <folder with the installer's locales.json, e.g. ../shared/pve-installer>");
  process.exit(2);
}
const source: InstallerLocales = JSON.parse(readFileSync(join(folder, "locales.json"), "utf8"));
const sorted = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const keyboards = sorted(Object.entries(source.kmap).map(([code, k]) => [code, k.name]));
const countries = sorted(
  Object.entries(source.country).map(([code, c]) => [code, { name: c.name, keyboard: c.kmap in keyboards ? c.kmap : "" }]),
);
const timezones = sorted(
  Object.entries(source.cczones).flatMap(([code, zones]) => Object.keys(zones).map((zone) => [zone, code] as [string, string])),
);
const out = join(__dirname, "..", "pve", "installer-locales.json");
const derived = {
  $comment: "Derived by `npm run pve:locales` from the Proxmox VE installer's locales.json. Do not edit.",
  keyboards,
  countries,
  timezones,
};
writeFileSync(out, JSON.stringify(derived, null, 1) + "\n");
console.log(
  `pve:locales: ${Object.keys(keyboards).length} keyboards, ${Object.keys(countries).length} countries, ` +
    `${Object.keys(timezones).length} timezones written to pve/installer-locales.json`,
);
