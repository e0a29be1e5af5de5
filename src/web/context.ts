import type { Backends } from '../backends/types';
import type { Config } from '../config';
import type { Caller } from './access';

/** What every resolver sees, over HTTP and WebSocket alike. */
export interface GraphQLContext {
  backends: Backends;
  config: Config;
  caller: Caller;
}
