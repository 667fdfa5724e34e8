import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';
import { hostname } from 'node:os';
import { firstViolation } from '../common/validation';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on', 'open'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', 'closed'].includes(v)) return false;
  return value;
};
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/**
 * Every setting, read from the environment once at boot and validated; a bad value stops boot with one
 * line naming the variable (see docs/config.md). Property names are the environment variable names.
 */
export class AppConfig {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  /** Where browsers reach this install; used in links and CORS defaults. */
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) PUBLIC_URL?: string;
  @IsString() @MinLength(1) DATA_DIR = './data';
  /** Absent: the embedded docstore under DATA_DIR/db. Production: a MongoDB replica set URI. */
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\//, { message: 'must be a mongodb:// or mongodb+srv:// URI' })
  MONGO_URL?: string;
  /** Absent: single node, in-process bus. */
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URI' })
  REDIS_URL?: string;
  /** Signs access tokens. Absent: generated once and kept in DATA_DIR/secret. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  TOKEN_SECRET?: string;
  @Transform(toInt) @IsInt() @Min(30) @Max(86400) ACCESS_TOKEN_TTL_SECONDS = 900;
  @Transform(toInt) @IsInt() @Min(300) @Max(31536000) REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;
  @Transform(toList) @IsString({ each: true }) CORS_ORIGINS: string[] = [];
  @Transform(toBool) @IsBoolean({ message: 'must be open or closed' }) REGISTRATION_OPEN = true;
  /** Open registrations accepted from one client address per hour (each costs a password hash); 0: no limit. */
  @Transform(toInt) @IsInt() @Min(0) REGISTRATIONS_PER_IP_PER_HOUR = 20;
  @IsOptional()
  @Matches(/^[a-zA-Z0-9_.-]{3,32}$/, { message: 'must be 3-32 of a-z A-Z 0-9 _ . -' })
  ADMIN_USERNAME?: string;
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'must be at least 8 characters' })
  ADMIN_PASSWORD?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) MESSAGE_MAX_LENGTH = 4000;
  @Transform(toInt) @IsInt() @Min(1) UPLOAD_MAX_BYTES = 1024 * 1024 * 1024;
  /** An upload that receives no bytes for this long is abandoned and its chunks deleted. */
  @Transform(toInt) @IsInt() @Min(1) UPLOAD_ABANDONED_SECONDS = 3600;
  /** Prometheus metrics on their own port; absent: off. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) METRICS_PORT?: number;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  /** Proxy addresses whose X-Forwarded-* headers are trusted (comma list, as Express `trust proxy`). */
  @Transform(toList) @IsString({ each: true }) TRUST_PROXY: string[] = [];
  /** Directory scanned for plugins at boot. */
  @IsString() PLUGINS_DIR = 'plugins';
  /** npm packages loaded as plugins, comma list. */
  @Transform(toList) @IsString({ each: true }) PLUGINS: string[] = [];
  /** This node's name in logs, metrics and presence. */
  @IsString() @MinLength(1) NODE_ID = `${hostname()}-${process.pid}`;
}

/** Range checks fail too when the value has the wrong type; report the type problem ('eighty' is not an integer). */
const TYPE_CONSTRAINTS = ['isInt', 'isBoolean', 'isString', 'isIn', 'matches', 'isUrl'];
function typeCheckFirst(error: ValidationError): ValidationError {
  const constraints = error.constraints ?? {};
  const typeKey = TYPE_CONSTRAINTS.find((key) => key in constraints);
  if (!typeKey) return error;
  return Object.assign(error, { constraints: { [typeKey]: constraints[typeKey] } });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const raw: Record<string, string> = {};
  for (const key of [
    ...known,
    'PUBLIC_URL',
    'MONGO_URL',
    'REDIS_URL',
    'TOKEN_SECRET',
    'ADMIN_USERNAME',
    'ADMIN_PASSWORD',
    'METRICS_PORT',
  ]) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw);
  const violation = firstViolation(validateSync(config).map(typeCheckFirst));
  if (violation) {
    const got = raw[violation.field];
    const shown =
      violation.field.includes('SECRET') || violation.field.includes('PASSWORD') ? '' : ` (got '${got}')`;
    throw new ConfigError(
      `${violation.field}: ${violation.message.replace(`${violation.field} `, '')}${got === undefined ? '' : shown}`,
    );
  }
  if (Boolean(config.ADMIN_USERNAME) !== Boolean(config.ADMIN_PASSWORD)) {
    throw new ConfigError('ADMIN_USERNAME and ADMIN_PASSWORD must be set together');
  }
  return config;
}
