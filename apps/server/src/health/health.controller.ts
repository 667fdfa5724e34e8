import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { UnavailableError } from '../common/domain-error';
import { MongoPingRepository } from './mongo-ping.repository';
import { ReadinessChecks } from './readiness-checks';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly mongo: MongoPingRepository,
    private readonly extraChecks: ReadinessChecks,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for traffic: MongoDB answers a ping (and Redis, when configured, through ReadinessChecks). */
  @Get('ready')
  @HealthCheck()
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.mongoCheck(), ...this.extraChecks.all()]);
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        const body = err.getResponse() as Partial<HealthCheckResult>;
        const failing = Object.keys(body.error ?? {}).join(', ') || 'a dependency';
        throw new UnavailableError(`not ready: ${failing} unavailable`);
      }
      throw err;
    }
  }

  private async mongoCheck(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('mongo');
    try {
      return check.up({ pingMs: await this.mongo.ping(2000) });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }
}
