// Writes what people read about the operations from schema/, the source of truth:
// the README's operations reference (between its markers) and ui/demo/catalogue.json,
// from which the demo page builds its forms. `--check` writes nothing and exits 1
// when either is stale (test/docs.test.ts runs it, so CI does).
'use strict';
const { readFileSync, readdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const {
  astFromValue,
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  print,
} = require('graphql');

const root = path.resolve(__dirname, '..');
const README = path.join(root, 'README.md');
const CATALOGUE = path.join(root, 'ui', 'demo', 'catalogue.json');
const START = '<!-- operations:start -->';
const END = '<!-- operations:end -->';
/** The input types the reference documents after the operations, beside those the operations use. */
const JOB_INPUTS = ['OutputInput', 'VariantInput'];

function loadSchema() {
  const dir = path.join(root, 'schema');
  const sdl = readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(path.join(dir, name), 'utf8'))
    .join('\n');
  return buildSchema(sdl);
}

/** A field's type as the page needs it: one level of list at most, which is all the schema uses. */
function describeType(type, where) {
  const required = isNonNullType(type);
  const nullable = required ? type.ofType : type;
  const list = isListType(nullable);
  const item = list ? nullable.ofType : nullable;
  if (isListType(isNonNullType(item) ? item.ofType : item)) throw new Error(`${where}: lists of lists are not described`);
  const named = getNamedType(type);
  const kind = isScalarType(named) ? 'SCALAR' : isEnumType(named) ? 'ENUM' : 'INPUT_OBJECT';
  return { name: named.name, kind, required, list, ...(list ? { itemRequired: isNonNullType(item) } : {}), sdl: String(type) };
}

const oneLine = (text) => (text ?? '').replace(/\s+/g, ' ').trim();

/** The types reachable from the operations and the job inputs, in the order they are first met. */
function collect(schema) {
  const inputs = new Map();
  const enums = new Map();
  const visit = (type) => {
    const named = getNamedType(type);
    if (isEnumType(named) && !enums.has(named.name)) {
      enums.set(named.name, {
        description: oneLine(named.description),
        values: named.getValues().map((value) => ({ name: value.name, description: oneLine(value.description) })),
      });
    }
    if (!isInputObjectType(named) || inputs.has(named.name) || named.name === 'ImageOperation') return;
    const entry = { description: oneLine(named.description), oneOf: named.isOneOf === true, fields: [] };
    inputs.set(named.name, entry);
    for (const field of Object.values(named.getFields())) {
      const ast = field.defaultValue === undefined ? null : astFromValue(field.defaultValue, field.type);
      entry.fields.push({
        name: field.name,
        description: oneLine(field.description),
        type: describeType(field.type, `${named.name}.${field.name}`),
        ...(ast ? { default: field.defaultValue, defaultSdl: print(ast) } : {}),
      });
      visit(field.type);
    }
  };
  const operationType = schema.getType('ImageOperation');
  const operations = Object.values(operationType.getFields()).map((field) => {
    visit(field.type);
    const named = getNamedType(field.type);
    return {
      name: field.name,
      // A built-in scalar's description says nothing about the operation.
      description: oneLine(field.description) || (isInputObjectType(named) ? oneLine(named.description) : ''),
      type: describeType(field.type, `ImageOperation.${field.name}`),
    };
  });
  for (const name of JOB_INPUTS) visit(schema.getType(name));
  return { operations, inputs, enums };
}

function catalogue({ operations, inputs, enums }) {
  const data = {
    $comment: 'Generated from schema/ by scripts/operations-reference.js: do not edit, run npm run docs.',
    operations,
    output: 'OutputInput',
    variant: 'VariantInput',
    inputs: Object.fromEntries(inputs),
    enums: Object.fromEntries(enums),
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}

const cell = (text) => text.replace(/\|/g, '\\|');
const anchor = (name) => name.toLowerCase();

function fieldTable(fields) {
  const rows = fields.map((field) => {
    const type = field.type.kind === 'SCALAR' ? `\`${field.type.sdl}\`` : `[\`${field.type.sdl}\`](#${anchor(field.type.name)})`;
    const def = field.defaultSdl === undefined ? '' : `\`${field.defaultSdl}\``;
    return `| \`${field.name}\` | ${type} | ${def} | ${cell(field.description)} |`;
  });
  return ['| field | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function reference({ operations, inputs, enums }) {
  const out = [
    START,
    '<!-- Generated from schema/ by scripts/operations-reference.js: edit the schema descriptions, then run npm run docs. -->',
    '',
  ];
  const operationInputs = new Set();
  for (const op of operations) {
    out.push(`#### \`${op.name}\``, '');
    if (op.description) out.push(op.description, '');
    if (op.type.kind === 'INPUT_OBJECT') {
      operationInputs.add(op.type.name);
      const input = inputs.get(op.type.name);
      if (input.description && input.description !== op.description) out.push(input.description, '');
      out.push(`\`{ ${op.name}: ${op.type.name} }\`:`, '', fieldTable(input.fields), '');
    } else if (op.type.name === 'Boolean') {
      out.push(`\`{ ${op.name}: true }\``, '');
    } else {
      out.push(`\`{ ${op.name}: ${op.type.sdl} }\``, '');
    }
  }
  const others = [...inputs.keys()].filter((name) => !operationInputs.has(name));
  if (others.length) out.push('#### Other inputs', '');
  for (const name of others) {
    const input = inputs.get(name);
    out.push(`##### ${name}`, '');
    if (input.description) out.push(input.description, '');
    out.push(fieldTable(input.fields), '');
  }
  if (enums.size) out.push('#### Enums', '');
  for (const [name, values] of enums) {
    out.push(`##### ${name}`, '');
    if (values.description) out.push(values.description, '');
    out.push('| value | meaning |', '| --- | --- |', ...values.values.map((v) => `| \`${v.name}\` | ${cell(v.description)} |`), '');
  }
  out.push(END);
  return out.join('\n');
}

function readme(current, section) {
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END}`);
  return current.slice(0, start) + section + current.slice(end + END.length);
}

function main() {
  const check = process.argv.includes('--check');
  const collected = collect(loadSchema());
  const wanted = [
    [README, readme(readFileSync(README, 'utf8'), reference(collected))],
    [CATALOGUE, catalogue(collected)],
  ];
  const stale = wanted.filter(([file, content]) => {
    try {
      return readFileSync(file, 'utf8') !== content;
    } catch {
      return true;
    }
  });
  if (check) {
    for (const [file] of stale) console.error(`stale: ${path.relative(root, file)} (run npm run docs)`);
    console.log(`checked ${wanted.length} generated files, ${stale.length} stale`);
    process.exitCode = stale.length === 0 ? 0 : 1;
    return;
  }
  for (const [file, content] of stale) writeFileSync(file, content);
  console.log(`wrote ${stale.length} of ${wanted.length} generated files`);
}

try {
  main();
} catch (err) {
  console.error(err);
  process.exitCode = 2;
}
