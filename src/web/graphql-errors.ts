import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DarkroomError } from '../errors';
import { errorFields, log } from '../log';

export function darkroomGraphQLError(err: DarkroomError): GraphQLError {
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...(err.field ? { field: err.field } : {}) },
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
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
    log.error('unexpected error in a GraphQL request', errorFields(original));
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL' } };
  }
  return formatted;
}
