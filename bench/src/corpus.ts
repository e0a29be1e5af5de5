import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project's root, the nearest folder up with the Procfile: this file runs from src and from two build folders. */
function findProjectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'Procfile'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no Procfile above ${__dirname}`);
  }
}

export const PROJECT_ROOT = findProjectRoot();

/**
 * The shared test images live beside the project (../shared/corpus) and are
 * read in place, never copied. DARKROOM_CORPUS names another folder; a clone
 * made elsewhere on this workplace's machines (a CI checkout in /tmp) falls
 * back to the workplace's own copy.
 */
function findCorpusDir(): string {
  const beside = path.resolve(PROJECT_ROOT, '..', 'shared', 'corpus');
  const candidates = [process.env.DARKROOM_CORPUS, beside, '/work/shared/corpus'];
  const found = candidates.find((dir): dir is string => !!dir && existsSync(path.join(dir, 'README.md')));
  if (!found) throw new Error(`The test image corpus is not in ${beside}; set DARKROOM_CORPUS to the folder that holds it.`);
  return found;
}

export const CORPUS_DIR = findCorpusDir();
