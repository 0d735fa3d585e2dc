/**
 * Process-wide counters, exposed at GET /metrics in the Prometheus text
 * format. Global totals only: no per-workspace labels, so nothing about one
 * tenant is visible to anyone scraping.
 */
export class Metrics {
  requests = 0;
  eventsAccepted = 0;
  eventsRejected = 0;
  requestsRejected = 0;
  rateLimited = 0;
  eventsConsentDropped = 0;

  render(extra: { counters: Record<string, number>; gauges: Record<string, number> }): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
    };
    const gauge = (name: string, value: number) => {
      lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
    };
    counter('cdp_ingest_requests_total', 'Ingestion requests received.', this.requests);
    counter('cdp_ingest_events_accepted_total', 'Events acknowledged (durable).', this.eventsAccepted);
    counter('cdp_ingest_events_rejected_total', 'Events rejected and written to dead_letters.', this.eventsRejected);
    counter('cdp_ingest_requests_rejected_total', 'Requests answered with a 4xx.', this.requestsRejected);
    counter('cdp_ingest_rate_limited_total', 'Requests answered with 429.', this.rateLimited);
    counter('cdp_ingest_events_consent_dropped_total', 'Valid events not stored: a consent they require was not granted.', this.eventsConsentDropped);
    for (const [name, value] of Object.entries(extra.counters)) counter(name, name.replace(/_/g, ' '), value);
    for (const [name, value] of Object.entries(extra.gauges)) gauge(name, value);
    return `${lines.join('\n')}\n`;
  }
}
