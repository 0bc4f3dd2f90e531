/**
 * What the Proxmox VE installer accepts for keyboard, country and timezone, from
 * pve/installer-locales.json (derived by `npm run pve:locales` from the installer's own table),
 * and the defaults the lab derives from them: the country of the lab's timezone, then that
 * country's keyboard.
 */
import locales from "./installer-locales.json";

export const KEYBOARDS: Readonly<Record<string, string>> = locales.keyboards;
export const COUNTRIES: Readonly<Record<string, { name: string; keyboard: string }>> = locales.countries;
export const TIMEZONES: Readonly<Record<string, string>> = locales.timezones;

export const KEYBOARD_CODES = Object.keys(KEYBOARDS) as [string, ...string[]];
export const COUNTRY_CODES = Object.keys(COUNTRIES) as [string, ...string[]];

/** The installer accepts a zone of its country table, or UTC. */
export function installerAcceptsTimezone(zone: string): boolean {
  return zone === "UTC" || Object.hasOwn(TIMEZONES, zone);
}

/** The country a timezone belongs to in the installer's table (undefined for UTC or an unknown zone). */
export function countryOfTimezone(zone: string): string | undefined {
  return Object.hasOwn(TIMEZONES, zone) ? TIMEZONES[zone] : undefined;
}

/** The installer's default keyboard for a country, en-us when it has none. */
export function keyboardOfCountry(country: string): string {
  return (Object.hasOwn(COUNTRIES, country) && COUNTRIES[country].keyboard) || "en-us";
}
