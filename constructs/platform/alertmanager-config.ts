/**
 * Alertmanager's configuration: every alert goes to one ntfy topic, critical ones at ntfy's
 * highest priority and repeated more often. ntfy reads Alertmanager's webhook JSON through its
 * message templates (`tpl=1`, with the title and message as Go templates in the URL), so no bridge
 * runs in between. The publishing credential is a file mounted from a Secret, never in this config.
 * Checked by `amtool check-config` (scripts/check-alerts.sh).
 */

/** Where Alertmanager mounts `alertmanagerSpec.secrets` entries. */
export const ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets";

/** How Alertmanager proves it may publish to the topic. */
export type NtfyAuth =
  /** The lab's ntfy: a generated publisher user (basic auth). */
  | { readonly kind: "basic"; readonly username: string; readonly secretName: string; readonly passwordKey: string }
  /** An external ntfy: an access token (`Authorization: Bearer tk_…`). */
  | { readonly kind: "bearer"; readonly secretName: string; readonly tokenKey: string };

export interface AlertmanagerConfigInput {
  /** The ntfy server's base URL as Alertmanager reaches it (in-cluster Service, or the external server). */
  readonly ntfyBaseUrl: string;
  readonly topic: string;
  readonly auth: NtfyAuth;
}

/** ntfy priorities (1 min … 5 max) and tags (emoji shortcodes) per severity. */
const SEVERITIES = {
  critical: { priority: 5, tags: "rotating_light", repeat: "4h" },
  warning: { priority: 3, tags: "warning", repeat: "24h" },
} as const;

/** Title and message of a notification, as ntfy templates over Alertmanager's webhook JSON. */
export const NTFY_TITLE_TEMPLATE = "{{if eq .status \"resolved\"}}Resolved: {{end}}{{.commonLabels.alertname}}";
export const NTFY_MESSAGE_TEMPLATE =
  "{{range .alerts}}{{if eq .status \"resolved\"}}[resolved] {{end}}{{.annotations.summary}}\n{{.annotations.runbook_url}}\n{{end}}";

/** The URL Alertmanager posts a group of alerts of one severity to. */
export function ntfyWebhookUrl(baseUrl: string, topic: string, severity: keyof typeof SEVERITIES): string {
  const s = SEVERITIES[severity];
  const query = new URLSearchParams({ tpl: "1", p: String(s.priority), ta: s.tags, t: NTFY_TITLE_TEMPLATE, m: NTFY_MESSAGE_TEMPLATE });
  return `${baseUrl.replace(/\/+$/, "")}/${topic}?${query.toString()}`;
}

function httpConfig(auth: NtfyAuth): Record<string, unknown> {
  return auth.kind === "basic"
    ? { basic_auth: { username: auth.username, password_file: `${ALERTMANAGER_SECRETS_DIR}/${auth.secretName}/${auth.passwordKey}` } }
    : { authorization: { type: "Bearer", credentials_file: `${ALERTMANAGER_SECRETS_DIR}/${auth.secretName}/${auth.tokenKey}` } };
}

/**
 * The complete alertmanager.yaml. Every top-level key and every key of `route` is set, so Helm's
 * merge with the chart's default config (alertmanager.config) leaves nothing of the default.
 */
export function alertmanagerConfig(input: AlertmanagerConfigInput): Record<string, unknown> {
  if (!/^[-_A-Za-z0-9]{1,64}$/.test(input.topic)) {
    throw new Error(`Alertmanager config: ntfy topic "${input.topic}" must be 1–64 letters, digits, '-' or '_'`);
  }
  if (!/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(input.ntfyBaseUrl)) {
    throw new Error(`Alertmanager config: ntfy URL "${input.ntfyBaseUrl}" must be http(s)://host[/path] without query`);
  }
  const receiver = (severity: keyof typeof SEVERITIES) => ({
    name: `ntfy-${severity}`,
    webhook_configs: [
      {
        url: ntfyWebhookUrl(input.ntfyBaseUrl, input.topic, severity),
        send_resolved: true,
        // The message lists every alert of the group; ntfy caps a message at 4 KB.
        max_alerts: 10,
        http_config: httpConfig(input.auth),
      },
    ],
  });
  return {
    global: { resolve_timeout: "5m" },
    templates: [],
    route: {
      receiver: "ntfy-warning",
      group_by: ["alertname", "severity"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: SEVERITIES.warning.repeat,
      routes: [{ matchers: ['severity="critical"'], receiver: "ntfy-critical", repeat_interval: SEVERITIES.critical.repeat }],
    },
    receivers: [receiver("critical"), receiver("warning")],
    inhibit_rules: [
      {
        // A host or server down silences the exporters that went with it.
        source_matchers: ['alertname=~"ProxmoxHostDown|K3sServerNotReady"'],
        target_matchers: ['alertname="ScrapeTargetDown"'],
      },
    ],
  };
}
