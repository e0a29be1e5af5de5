import type { Gravity } from '../generated/graphql';

/** The compass points as sharp names them, shared by every operation that places something by one. */
export const COMPASS: Record<Gravity, string> = {
  CENTER: 'centre',
  NORTH: 'north',
  NORTHEAST: 'northeast',
  EAST: 'east',
  SOUTHEAST: 'southeast',
  SOUTH: 'south',
  SOUTHWEST: 'southwest',
  WEST: 'west',
  NORTHWEST: 'northwest',
};
