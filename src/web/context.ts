import type { Backends } from '../backends/types';
import type { Config } from '../config';
import type { Caller } from './access';

/** What every resolver sees, over HTTP and WebSocket alike. */
export interface GraphQLContext {
  backends: Backends;
  config: Config;
  caller: Caller;
  /** The HTTP request's Content-Length, when it has one: an upper bound on an uploaded file's size. */
  requestBytes?: number;
}
