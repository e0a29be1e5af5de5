import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { GraphQLContext } from './context';

type Result = ExecutionResult | Promise<ExecutionResult>;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * graphql's subscribe(), except that an event is executed once for all the
 * subscriptions that would get the same answer. The bus hands every watcher
 * of a job the same record object, so subscriptions asking the same document
 * with the same variables, as the same owner, take the result the first one
 * computed: 1,000 watchers of a job cost one execution per event, not 1,000.
 * Results are kept per event object and go when it does.
 */
export function sharedSubscribe(): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const results = new WeakMap<object, Map<string, Result>>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let documents = 0;

  const shareKey = (args: ExecutionArgs): string => {
    let documentId = documentIds.get(args.document);
    if (documentId === undefined) documentIds.set(args.document, (documentId = documents++));
    const owner = (args.contextValue as GraphQLContext).caller.owner;
    return JSON.stringify([documentId, args.operationName ?? null, args.variableValues ?? null, owner]);
  };

  const run = (args: ExecutionArgs, key: string, event: unknown): Result => {
    if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
    let byKey = results.get(event);
    if (!byKey) results.set(event, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = execute({ ...args, rootValue: event })));
    return result;
  };

  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = shareKey(args);
    const events = source[Symbol.asyncIterator]();
    const close = async (): Promise<IteratorResult<ExecutionResult>> => {
      await events.return?.();
      return { value: undefined, done: true };
    };
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const step = await events.next();
        if (step.done) return { value: undefined, done: true };
        try {
          return { value: await run(args, key, step.value), done: false };
        } catch (err) {
          await close().catch(() => undefined);
          throw err;
        }
      },
      return: close,
      [Symbol.asyncIterator]() {
        return mapped;
      },
    };
    return mapped;
  };
}
