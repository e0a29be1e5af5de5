import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { sharedSubscribe } from '../src/web/shared-execution';

/** A source stream that yields the given events, one per next(). */
function source(events: object[]): AsyncIterableIterator<object> {
  return (async function* () {
    yield* events;
  })();
}

const streams: Array<AsyncIterableIterator<object>> = [];
let executions = 0;
const schema = makeExecutableSchema({
  typeDefs: 'type Query { noop: Int } type Event { n: Int! } type Subscription { watched(id: ID!): Event! }',
  resolvers: {
    Subscription: { watched: { subscribe: () => streams.shift()!, resolve: (event: object) => event } },
    Event: {
      n: (event: { n: number }) => {
        executions++;
        return event.n;
      },
    },
  },
});
const document = parse('subscription ($id: ID!) { watched(id: $id) { n } }');

function args(id: string, owner: string | null): ExecutionArgs {
  return { schema, document, variableValues: { id }, contextValue: { caller: { owner, client: 'test' } } };
}

async function first(result: Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>): Promise<ExecutionResult> {
  const stream = (await result) as AsyncIterableIterator<ExecutionResult>;
  const step = await stream.next();
  await stream.return?.();
  return step.value as ExecutionResult;
}

test('one event object is executed once for subscriptions asking the same, once more for another owner or variables', async () => {
  const subscribe = sharedSubscribe();
  const event = { n: 7 };
  const other = { n: 8 };
  streams.push(source([event]), source([event]), source([event]), source([event]), source([other]));
  const a = await first(subscribe(args('job-1', null)));
  const b = await first(subscribe(args('job-1', null)));
  expect(a).toEqual({ data: { watched: { n: 7 } } });
  expect(b).toBe(a);
  expect(executions).toBe(1);

  const otherOwner = await first(subscribe(args('job-1', 'owner-2')));
  const otherVariables = await first(subscribe(args('job-2', null)));
  expect(otherOwner).toEqual(a);
  expect(otherOwner).not.toBe(a);
  expect(otherVariables).not.toBe(a);
  expect(executions).toBe(3);

  const next = await first(subscribe(args('job-1', null)));
  expect(next).toEqual({ data: { watched: { n: 8 } } });
  expect(executions).toBe(4);
});

test('errors of the subscribe resolver come back as a result, not a stream', async () => {
  const subscribe = sharedSubscribe();
  const result = (await subscribe({ ...args('job-1', null), document: parse('subscription { missing }') })) as ExecutionResult;
  expect(result.errors?.[0].message).toMatch(/missing/);
});
