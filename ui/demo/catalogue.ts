// The operations and job inputs as schema/ describes them, from ui/demo/catalogue.json,
// which scripts/operations-reference.js generates (npm run docs): the page never lists
// operations itself, so a new one in the schema appears here on the next build.
import data from './catalogue.json';

export interface TypeRef {
  name: string;
  kind: 'SCALAR' | 'ENUM' | 'INPUT_OBJECT';
  required: boolean;
  list: boolean;
  itemRequired?: boolean;
  /** The type as the SDL writes it, e.g. [Float!]. */
  sdl: string;
}

export interface InputField {
  name: string;
  description: string;
  type: TypeRef;
  default?: unknown;
  /** The default as GraphQL writes it. */
  defaultSdl?: string;
}

export interface Operation {
  name: string;
  description: string;
  type: TypeRef;
}

export interface Catalogue {
  operations: Operation[];
  /** The name of the input type of CreateImageJobInput.output. */
  output: string;
  variant: string;
  inputs: Record<string, { description: string; oneOf: boolean; fields: InputField[] }>;
  enums: Record<string, { description: string; values: Array<{ name: string; description: string }> }>;
}

export const catalogue = data as Catalogue;
