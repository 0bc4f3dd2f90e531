import type { ChartRef } from "./helm-app";

/**
 * bjw-s `app-template`, the generic chart behind the apps without a maintained chart of their own
 * (AdGuard Home, ntfy, pve-exporter); their values are validated in tests against the bjw-s
 * `common` 4.1.1 JSON schema, copied to __tests__/fixtures/chart-schemas/bjw-s-common-4.1.1.
 */
// renovate: datasource=helm depName=app-template registryUrl=https://bjw-s-labs.github.io/helm-charts
export const APP_TEMPLATE_CHART: ChartRef = { chart: "app-template", repository: "https://bjw-s-labs.github.io/helm-charts", version: "4.1.1" };
