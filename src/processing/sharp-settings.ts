import sharp from 'sharp';

/**
 * libvips settings for a process that runs jobs. The operation cache keys on
 * each operation's arguments, the input buffer among them, and every job
 * brings a new one: it never hits, it only grows towards its 50 MB cap, so it
 * is off. sharp.concurrency() stays sharp's own: one thread per core when
 * MALLOC_ARENA_MAX is set (the Procfile sets it), one otherwise.
 */
export function configureSharp(): void {
  sharp.cache(false);
}
