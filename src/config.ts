import { createHash } from 'node:crypto';
import type { JobLimits } from './operations/operation';
import { ALL_INPUT_FORMATS } from './processing/input-policy';
import type { ProcessLimits } from './processing/pipeline';

/**
 * All configuration, read from the environment once at start-up. A bad value
 * stops the process with an error that names the variable.
 */
export interface Config {
  port: number;
  redisUrl: string | null;
  amqpUrl: string | null;
  keyPrefix: string;
  queueName: string;
  jobTtlSeconds: number;
  finishedInputTtlSeconds: number;
  maxUploadBytes: number;
  /** Body limit for JSON requests and multipart fields other than the file. */
  maxRequestBytes: number;
  maxInputPixels: number;
  maxFrames: number;
  allowedInputFormats: ReadonlySet<string>;
  maxOutputDimension: number;
  maxOutputPixels: number;
  maxOperations: number;
  maxVariants: number;
  maxLocatePixels: number;
  /** Files a job may send besides its image (overlays, templates). */
  maxFilesPerJob: number;
  workerPrefetch: number;
  /** Deliveries a job may have before it is failed as WORKER_CRASHED and dead-lettered. */
  maxAttempts: number;
  jobTimeoutSeconds: number;
  /** How long a stopping worker lets the jobs in hand finish before handing them back. */
  shutdownGraceSeconds: number;
  /** Empty: no authentication. Otherwise every request needs one of these. */
  apiKeys: readonly string[];
  /** Key of the HMAC that signs result URLs; shared by every web process. */
  urlSigningSecret: string;
  signedUrlTtlSeconds: number;
  /** Job submissions per minute per API key (or IP); 0 turns the limit off. */
  rateLimitPerMinute: number;
  corsOrigins: readonly string[];
  /** Trust X-Forwarded-For from this many proxies (Heroku's router is one). */
  trustProxyHops: number;
  maxSubscriptionsPerConnection: number;
  maxWebSocketMessageBytes: number;
  graphqlLimits: GraphQLLimits;
  /** The worker's own /metrics listener; null: none. */
  metricsPort: number | null;
  /** When set, the only credential /metrics accepts; otherwise /metrics asks what the API asks. */
  metricsToken: string | null;
  /** Which environment variable the AMQP URL came from, for the start-up log. */
  amqpUrlSource: string | null;
}

/** Bounds on what one GraphQL document may ask, over HTTP and WebSocket alike. */
export interface GraphQLLimits {
  maxDepth: number;
  /** Not counting `__typename`. */
  maxAliases: number;
  maxDirectives: number;
  /** Lexical tokens, counted by graphql's own parser. */
  maxTokens: number;
  /** graphql-armor's estimate of the work a document asks for. */
  maxCost: number;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(name, `must be a positive whole number, got "${raw}"`);
  return value;
}

/** 0 asks the system for any free port (used by tests). */
function port(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(name, `must be a port number from 0 to 65535, got "${raw}"`);
  return value;
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(name, `must be a whole number, 0 or more, got "${raw}"`);
  return value;
}

function list(env: Env, name: string): string[] {
  return (text(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Web processes must agree on it: given explicitly, or derived from the keys they share. */
function signingSecret(env: Env, apiKeys: string[]): string {
  const explicit = text(env, 'URL_SIGNING_SECRET');
  if (explicit !== null) {
    if (explicit.length < 32) throw new ConfigError('URL_SIGNING_SECRET', 'must be at least 32 characters');
    return explicit;
  }
  return createHash('sha256').update(`darkroom result urls\n${[...apiKeys].sort().join('\n')}`).digest('hex');
}

function metricsToken(env: Env): string | null {
  const token = text(env, 'METRICS_TOKEN');
  if (token !== null && token.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  return token;
}

function formatList(env: Env, name: string, fallback: string[]): ReadonlySet<string> {
  const raw = text(env, name);
  if (raw === null) return new Set(fallback);
  const names = raw.split(',').map((n) => n.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((n) => !(ALL_INPUT_FORMATS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new ConfigError(name, `must list formats among ${ALL_INPUT_FORMATS.join(', ')}; got "${raw}"`);
  }
  return new Set(names);
}

function url(env: Env, name: string, schemes: string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a URL');
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${schemes.map((s) => `${s}//`).join(' or ')}, got ${parsed.protocol}//`);
  }
  return raw;
}

export function readConfig(env: Env = process.env): Config {
  const apiKeys = list(env, 'API_KEYS');
  if (apiKeys.some((key) => key.length < 16)) throw new ConfigError('API_KEYS', 'each key must be at least 16 characters');
  const cloudAmqp = url(env, 'CLOUDAMQP_URL', ['amqp:', 'amqps:']);
  const amqp = cloudAmqp ?? url(env, 'AMQP_URL', ['amqp:', 'amqps:']);
  return {
    port: port(env, 'PORT', 4000),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    amqpUrl: amqp,
    amqpUrlSource: cloudAmqp ? 'CLOUDAMQP_URL' : amqp ? 'AMQP_URL' : null,
    keyPrefix: text(env, 'DARKROOM_KEY_PREFIX') ?? 'darkroom:',
    queueName: text(env, 'DARKROOM_QUEUE') ?? 'darkroom.jobs',
    jobTtlSeconds: positiveInt(env, 'JOB_TTL_SECONDS', 24 * 60 * 60),
    finishedInputTtlSeconds: positiveInt(env, 'FINISHED_INPUT_TTL_SECONDS', 60 * 60),
    maxUploadBytes: positiveInt(env, 'MAX_UPLOAD_BYTES', 25 * 1024 * 1024),
    maxRequestBytes: positiveInt(env, 'MAX_REQUEST_BYTES', 100 * 1024),
    maxInputPixels: positiveInt(env, 'MAX_INPUT_PIXELS', 50_000_000),
    maxFrames: positiveInt(env, 'MAX_FRAMES', 100),
    allowedInputFormats: formatList(env, 'ALLOWED_INPUT_FORMATS', ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']),
    maxOutputDimension: positiveInt(env, 'MAX_OUTPUT_DIMENSION', 10000),
    maxOutputPixels: positiveInt(env, 'MAX_OUTPUT_PIXELS', 50_000_000),
    maxOperations: positiveInt(env, 'MAX_OPERATIONS', 20),
    maxVariants: positiveInt(env, 'MAX_VARIANTS', 10),
    maxLocatePixels: positiveInt(env, 'MAX_LOCATE_PIXELS', 25_000_000),
    maxFilesPerJob: nonNegativeInt(env, 'MAX_FILES_PER_JOB', 4),
    workerPrefetch: positiveInt(env, 'WORKER_PREFETCH', 2),
    maxAttempts: positiveInt(env, 'MAX_ATTEMPTS', 3),
    jobTimeoutSeconds: positiveInt(env, 'JOB_TIMEOUT_SECONDS', 60),
    shutdownGraceSeconds: positiveInt(env, 'SHUTDOWN_GRACE_SECONDS', 20),
    apiKeys,
    urlSigningSecret: signingSecret(env, apiKeys),
    signedUrlTtlSeconds: positiveInt(env, 'SIGNED_URL_TTL_SECONDS', 60 * 60),
    rateLimitPerMinute: nonNegativeInt(env, 'RATE_LIMIT_PER_MINUTE', 600),
    corsOrigins: list(env, 'CORS_ORIGINS'),
    trustProxyHops: nonNegativeInt(env, 'TRUST_PROXY_HOPS', 0),
    maxSubscriptionsPerConnection: positiveInt(env, 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 50),
    maxWebSocketMessageBytes: positiveInt(env, 'MAX_WEBSOCKET_MESSAGE_BYTES', 64 * 1024),
    graphqlLimits: {
      maxDepth: positiveInt(env, 'GRAPHQL_MAX_DEPTH', 8),
      maxAliases: positiveInt(env, 'GRAPHQL_MAX_ALIASES', 10),
      maxDirectives: positiveInt(env, 'GRAPHQL_MAX_DIRECTIVES', 10),
      maxTokens: positiveInt(env, 'GRAPHQL_MAX_TOKENS', 1000),
      maxCost: positiveInt(env, 'GRAPHQL_MAX_COST', 2000),
    },
    metricsPort: text(env, 'METRICS_PORT') === null ? null : port(env, 'METRICS_PORT', 0),
    metricsToken: metricsToken(env),
  };
}

/** What the operation validation enforces, from the configured limits. */
export function jobLimits(config: Config): JobLimits {
  return {
    maxDimension: config.maxOutputDimension,
    maxOperations: config.maxOperations,
    maxVariants: config.maxVariants,
    maxLocatePixels: config.maxLocatePixels,
  };
}

/** What the input check and the pipeline enforce, from the configured limits. */
export function processLimits(config: Config): ProcessLimits {
  return {
    allowedFormats: config.allowedInputFormats,
    maxInputPixels: config.maxInputPixels,
    maxFrames: config.maxFrames,
    output: { maxDimension: config.maxOutputDimension, maxPixels: config.maxOutputPixels },
    timeoutSeconds: config.jobTimeoutSeconds,
  };
}

/** Web and worker as separate processes only work when both share Redis and RabbitMQ. */
export function requireSharedBackends(config: Config): void {
  if (!config.redisUrl) throw new ConfigError('REDIS_URL', 'must be set when web and worker run as separate processes');
  if (!config.amqpUrl) {
    throw new ConfigError('CLOUDAMQP_URL', '(or AMQP_URL) must be set when web and worker run as separate processes');
  }
}
