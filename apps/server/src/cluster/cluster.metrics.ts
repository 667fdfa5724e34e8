import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from '../health/metrics.service';
import { ClusterBus } from './cluster-bus';
import { RedisClusterBus } from './redis-cluster-bus';
import { RedisConnection } from './redis.connection';

/**
 * Cluster gauges on the node's Prometheus registry (when REDIS_URL is set and metrics exist): whether
 * Redis is connected, how many bus notices wait for it, and how many were given up.
 */
@Injectable()
export class ClusterMetrics implements OnModuleInit {
  constructor(
    @Inject(RedisConnection) private readonly redis: RedisConnection | null,
    private readonly bus: ClusterBus,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  onModuleInit(): void {
    const redis = this.redis;
    const registry = this.metrics?.registry;
    if (!redis || !registry) return;
    new Gauge({
      name: 'palaver_redis_connected',
      help: '1 while the Redis command connection is ready, 0 while degraded',
      registers: [registry],
      collect() {
        this.set(redis.ready ? 1 : 0);
      },
    });
    const bus = this.bus;
    if (bus instanceof RedisClusterBus) {
      new Gauge({
        name: 'palaver_cluster_bus_dropped_total',
        help: 'Bus notices that never reached other nodes: pushed out of the queue held during a Redis outage',
        registers: [registry],
        collect() {
          this.set(bus.droppedRemote);
        },
      });
      new Gauge({
        name: 'palaver_cluster_bus_pending',
        help: 'Bus notices held for other nodes until Redis is reachable again',
        registers: [registry],
        collect() {
          this.set(bus.pendingRemote);
        },
      });
    }
  }
}
