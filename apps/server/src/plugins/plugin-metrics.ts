import { Injectable } from '@nestjs/common';
import { Counter, Histogram, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  // Several apps share one registry in tests; reuse what an earlier instance registered.
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}

/** Prometheus series for plugins: hook outcomes and durations, and plugins' own counters. */
@Injectable()
export class PluginMetrics {
  readonly hookCalls = counter('palaver_plugin_hook_calls_total', 'Plugin hook calls by outcome', [
    'plugin',
    'hook',
    'outcome',
  ]);
  readonly hookDuration =
    (register.getSingleMetric('palaver_plugin_hook_duration_seconds') as Histogram<string>) ??
    new Histogram({
      name: 'palaver_plugin_hook_duration_seconds',
      help: 'Time spent in plugin hooks',
      labelNames: ['plugin', 'hook'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2],
    });
  readonly pluginEvents = counter('palaver_plugin_events_total', "Plugins' own counters", ['plugin', 'name']);
}
