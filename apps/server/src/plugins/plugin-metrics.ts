import { Injectable, Optional } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { MetricsService } from '../health/metrics.service';

/** Prometheus series for plugins: hook outcomes and durations, and plugins' own counters. */
@Injectable()
export class PluginMetrics {
  readonly hookCalls: Counter<'plugin' | 'hook' | 'outcome'>;
  readonly hookDuration: Histogram<'plugin' | 'hook'>;
  readonly pluginEvents: Counter<'plugin' | 'name'>;

  constructor(@Optional() metrics?: MetricsService) {
    const registers = [metrics?.registry ?? new Registry()];
    this.hookCalls = new Counter({
      name: 'palaver_plugin_hook_calls_total',
      help: 'Plugin hook calls by outcome (allow, modify, reject, error, timeout, invalid-result)',
      labelNames: ['plugin', 'hook', 'outcome'] as const,
      registers,
    });
    this.hookDuration = new Histogram({
      name: 'palaver_plugin_hook_duration_seconds',
      help: 'Time spent in plugin hooks',
      labelNames: ['plugin', 'hook'] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers,
    });
    this.pluginEvents = new Counter({
      name: 'palaver_plugin_events_total',
      help: "Plugins' own counters (PluginContext.metrics.increment)",
      labelNames: ['plugin', 'name'] as const,
      registers,
    });
  }
}
