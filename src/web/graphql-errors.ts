import type { ErrorRequestHandler } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DarkroomError } from '../errors';
import { errorFields, log } from '../log';

export function darkroomGraphQLError(err: DarkroomError): GraphQLError {
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...(err.field ? { field: err.field } : {}), ...err.details },
  });
}

/**
 * Our refusals keep their code and message; anything unexpected is logged and
 * reaches the client as a bare INTERNAL error, never with a stack or path.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DarkroomError) {
    const { message, extensions } = darkroomGraphQLError(original);
    return { message, path: formatted.path, locations: formatted.locations, extensions };
  }
  const clientError = clientErrorOf(original);
  if (clientError) return { message: clientError.message, path: formatted.path, extensions: { code: clientError.code } };
  // Apollo refuses some requests (a persisted-query extension it cannot use) with an HTTP 4xx and no code.
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && isClientStatus(httpStatusOf(original))) {
    return { message: formatted.message, path: formatted.path, extensions: { code: 'BAD_REQUEST' } };
  }
  // Over WebSocket nothing marks a resolver's stray exception as internal: an original that is no GraphQLError is one.
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' || (original instanceof Error && !(original instanceof GraphQLError))) {
    log.error('unexpected error in a GraphQL request', errorFields(original));
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL' } };
  }
  return formatted;
}

/** The HTTP status a GraphQLError asks for (Apollo's extensions.http), if any. */
function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isClientStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500;
}

/** What the body parsers and the upload middleware say of a bad request, as a client error. */
export function clientErrorOf(err: unknown): { status: number; code: string; message: string } | null {
  const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  const message = err instanceof Error ? err.message : 'Bad request';
  if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE', message: `The request is too large (${message}).` };
  return { status, code: 'BAD_REQUEST', message: `The request is malformed: ${message}` };
}

/** Last express handler: client mistakes get their 4xx and code, a backend outage 503, anything else a bare 500. */
export const httpErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof DarkroomError && err.code === 'BACKEND_UNAVAILABLE') {
    res.status(503).json({ errors: [{ message: err.message, extensions: { code: err.code } }] });
    return;
  }
  const clientError = clientErrorOf(err);
  if (clientError) {
    res.status(clientError.status).json({ errors: [{ message: clientError.message, extensions: { code: clientError.code } }] });
    return;
  }
  log.error('unexpected error in an HTTP request', errorFields(err));
  res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL' } }] });
};
