import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared test images live beside the project and are never copied into it. */
export const CORPUS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

export function corpusPath(name: string): string {
  return path.join(CORPUS_DIR, name);
}

export function corpus(name: string): Buffer {
  return readFileSync(corpusPath(name));
}
