import type { Backends } from '../backends/types';
import type { Config } from '../config';

/** What every resolver sees, over HTTP and WebSocket alike. */
export interface GraphQLContext {
  backends: Backends;
  config: Config;
}
