import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

/**
 * Parsed and validated documents by their text. Clients send the same few
 * subscription documents over and over; Apollo caches them over HTTP, this
 * does the same for graphql-ws. Only documents that passed are kept.
 */
export class ValidatedDocuments {
  private readonly documents = new Map<string, DocumentNode>();
  private readonly rules: readonly ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    rules: readonly ValidationRule[],
    private readonly maxTokens: number,
    private readonly capacity = 500,
  ) {
    this.rules = [...specifiedRules, ...rules];
  }

  /** The document ready to execute, or the errors that refuse it. */
  get(query: string): DocumentNode | readonly GraphQLError[] {
    const cached = this.documents.get(query);
    if (cached) return cached;
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.maxTokens });
    } catch (err) {
      return [withCode(err instanceof GraphQLError ? err : new GraphQLError(String(err)), 'GRAPHQL_PARSE_FAILED')];
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
    // Map keeps insertion order: the first key is the oldest.
    if (this.documents.size >= this.capacity) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(query, document);
    return document;
  }
}

/** The code Apollo gives the same refusal over HTTP (over graphql-armor's own), so clients branch on it alike over WebSocket. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
