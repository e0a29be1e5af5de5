import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR } from '../../bench/src/corpus';

export { CORPUS_DIR };

export function corpusPath(name: string): string {
  return path.join(CORPUS_DIR, name);
}

export function corpus(name: string): Buffer {
  return readFileSync(corpusPath(name));
}
