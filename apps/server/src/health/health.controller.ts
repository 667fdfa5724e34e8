import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { UnavailableError } from '../common/domain-error';
import { ReadinessChecks } from './readiness-checks';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
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
      return await this.health.check([
        () => this.mongoose.pingCheck('mongo', { timeout: 2000 }),
        ...this.extraChecks.all(),
      ]);
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        const body = err.getResponse() as Partial<HealthCheckResult>;
        const failing = Object.keys(body.error ?? {}).join(', ') || 'a dependency';
        throw new UnavailableError(`not ready: ${failing} unavailable`);
      }
      throw err;
    }
  }
}
