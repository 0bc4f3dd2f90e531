/**
 * PromQL checked by the Prometheus project's own parser (@prometheus-io/lezer-promql, the grammar
 * behind Prometheus' web UI and Grafana's editor). Grafana's interval variables are replaced by a
 * duration first, as Grafana does before it sends a query.
 */
import { parser } from "@prometheus-io/lezer-promql";

const GRAFANA_INTERVALS = /\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}/g;

/** The query as Prometheus receives it from Grafana. */
export function withGrafanaIntervals(expr: string): string {
  return expr.replace(GRAFANA_INTERVALS, "5m");
}

/** Where the parser found an error (character offsets with the text around them); empty when valid. */
export function promqlErrors(expr: string): string[] {
  const query = withGrafanaIntervals(expr);
  const errors: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: …${query.slice(Math.max(0, node.from - 15), node.from + 15)}…`);
    },
  });
  if (query.trim() === "") errors.push("empty query");
  return errors;
}

/** Metric names a query selects (identifiers used as vector selectors). */
export function metricNames(expr: string): string[] {
  const query = withGrafanaIntervals(expr);
  const names = new Set<string>();
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.name === "VectorSelector") {
        const ident = node.node.getChild("Identifier");
        if (ident) names.add(query.slice(ident.from, ident.to));
      }
    },
  });
  return [...names];
}
