import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { MetricsServer } from './metrics.server';
import { MongoPingRepository } from './mongo-ping.repository';
import { MetricsService } from './metrics.service';
import { ReadinessChecks } from './readiness-checks';

/** Liveness/readiness and Prometheus metrics; global so any feature can record metrics or add a check. */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [MetricsService, MetricsServer, ReadinessChecks, MongoPingRepository],
  exports: [MetricsService, MetricsServer, ReadinessChecks],
})
export class HealthModule {}
