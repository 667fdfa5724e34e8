import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config';

/**
 * The Prometheus registry of this process. Features record into the metrics below, or register their
 * own on `registry` (names prefixed `palaver_`). Served on METRICS_PORT by MetricsServer.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly connectedSockets = new Gauge({
    name: 'palaver_connected_sockets',
    help: 'Socket.IO connections open on this node',
    registers: [this.registry],
  });

  readonly messagesAccepted = new Counter({
    name: 'palaver_messages_accepted_total',
    help: 'Messages stored and acknowledged',
    registers: [this.registry],
  });

  readonly ackLatency = new Histogram({
    name: 'palaver_ack_latency_seconds',
    help: 'Time from receiving a socket event to sending its ack',
    labelNames: ['event'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly httpLatency = new Histogram({
    name: 'palaver_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  constructor(config: AppConfig) {
    this.registry.setDefaultLabels({ node: config.NODE_ID });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Express middleware timing every request; the route label is the matched pattern, never the raw URL. */
  httpMiddleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      const end = this.httpLatency.startTimer();
      res.once('finish', () => {
        const route = (req.route as { path?: string } | undefined)?.path;
        end({
          method: req.method,
          route: route ? `${req.baseUrl}${route}` : 'unmatched',
          status: res.statusCode,
        });
      });
      next();
    };
  }
}
