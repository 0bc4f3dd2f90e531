import { alertmanagerConfig, ntfyWebhookUrl } from "../../../constructs/platform/alertmanager-config";

const basic = { kind: "basic", username: "publisher", secretName: "alertmanager-ntfy", passwordKey: "password" } as const;

describe("alertmanagerConfig", () => {
  const config = alertmanagerConfig({ ntfyBaseUrl: "http://ntfy.ntfy.svc.cluster.local:8080", topic: "homelab-alerts", auth: basic }) as any;

  test("routes critical alerts to ntfy's highest priority, everything else to the default one", () => {
    expect(config.route).toMatchObject({ receiver: "ntfy-warning", routes: [{ matchers: ['severity="critical"'], receiver: "ntfy-critical" }] });
    expect(config.receivers.map((r: any) => r.name)).toEqual(["ntfy-critical", "ntfy-warning"]);
    const url = new URL(config.receivers[0].webhook_configs[0].url);
    expect([url.origin + url.pathname, url.searchParams.get("tpl"), url.searchParams.get("p")]).toEqual([
      "http://ntfy.ntfy.svc.cluster.local:8080/homelab-alerts",
      "1",
      "5",
    ]);
    expect(url.searchParams.get("m")).toContain("{{.annotations.runbook_url}}");
  });

  test("sets every key the chart's default config has, so Helm's merge keeps none of it", () => {
    expect(Object.keys(config).sort()).toEqual(["global", "inhibit_rules", "receivers", "route", "templates"]);
    expect(Object.keys(config.route).sort()).toEqual(["group_by", "group_interval", "group_wait", "receiver", "repeat_interval", "routes"]);
  });

  test("reads the credential from a mounted file, never inline", () => {
    expect(config.receivers[0].webhook_configs[0].http_config).toEqual({
      basic_auth: { username: "publisher", password_file: "/etc/alertmanager/secrets/alertmanager-ntfy/password" },
    });
    const bearer = alertmanagerConfig({
      ntfyBaseUrl: "https://ntfy.sh",
      topic: "t",
      auth: { kind: "bearer", secretName: "alertmanager-ntfy", tokenKey: "token" },
    }) as any;
    expect(bearer.receivers[1].webhook_configs[0].http_config).toEqual({
      authorization: { type: "Bearer", credentials_file: "/etc/alertmanager/secrets/alertmanager-ntfy/token" },
    });
  });

  test("a trailing slash on the server does not double", () => {
    expect(ntfyWebhookUrl("https://ntfy.sh/", "t", "warning")).toMatch(/^https:\/\/ntfy\.sh\/t\?tpl=1&p=3/);
  });

  test("fails when the topic or the URL is malformed", () => {
    expect(() => alertmanagerConfig({ ntfyBaseUrl: "https://ntfy.sh", topic: "a/b", auth: basic })).toThrow('ntfy topic "a/b"');
    expect(() => alertmanagerConfig({ ntfyBaseUrl: "ntfy.sh", topic: "t", auth: basic })).toThrow('ntfy URL "ntfy.sh"');
  });
});
