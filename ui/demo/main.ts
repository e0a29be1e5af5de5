// The demo page served at GET /: upload images with a list of operations, an
// output and any number of variants, then follow each job live over graphql-ws
// (jobUpdated) and show its results beside the original. The operation picker
// and every form is built from the generated catalogue (./catalogue.ts).
// Bundled by scripts/build-ui.js.
import { createClient } from 'graphql-ws';
import { catalogue, type InputField, type Operation } from './catalogue';
import { byId, bytes, el } from './dom';
import { controlFor, fieldsControl, FormError, humanise, type Control, type FileArgument } from './fields';
import { JOB_FIELDS, JobCard, type JobView } from './job-card';
import './style.css';

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string }>;
}

const form = byId<HTMLFormElement>('job-form');
const fileInput = byId<HTMLInputElement>('files');
const fileSummary = byId<HTMLParagraphElement>('file-summary');
const dropZone = byId<HTMLFieldSetElement>('drop-zone');
const operationList = byId<HTMLOListElement>('operations');
const newOperation = byId<HTMLSelectElement>('new-operation');
const variantList = byId<HTMLOListElement>('variants');
const apiKey = byId<HTMLInputElement>('api-key');
const formError = byId<HTMLParagraphElement>('form-error');
const jobs = byId<HTMLOListElement>('jobs');

const authorization = (): Record<string, string> => (apiKey.value.trim() ? { authorization: `Bearer ${apiKey.value.trim()}` } : {});

// One socket for every job's subscription; graphql-ws opens it when needed, with the current key.
const subscriptions = createClient({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
  connectionParams: authorization,
});

function describeFiles(): void {
  const files = [...(fileInput.files ?? [])];
  fileSummary.textContent =
    files.length === 0 ? 'No image chosen.' : `${files.length} chosen: ${files.map((file) => `${file.name} (${bytes(file.size)})`).join(', ')}.`;
}
fileInput.addEventListener('change', describeFiles);

// Files dropped anywhere on the page are taken, rather than the browser navigating to them.
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  dropZone.classList.add('dragging');
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) dropZone.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('dragging');
  if (event.dataTransfer?.files.length) {
    fileInput.files = event.dataTransfer.files;
    describeFiles();
  }
});

const operations = new Map(catalogue.operations.map((op) => [op.name, op]));
for (const op of catalogue.operations) newOperation.append(el('option', { value: op.name, textContent: humanise(op.name), title: op.description }));

/** The controls of one operation; an operation that takes a Boolean is sent as `true`, having been added. */
function operationControl(op: Operation): Control | null {
  if (op.type.kind === 'INPUT_OBJECT') return fieldsControl(op.type.name);
  if (op.type.name === 'Boolean' && !op.type.list) return null;
  const field: InputField = { name: op.name, description: '', type: { ...op.type, required: true } };
  return controlFor(field);
}

const controls = new WeakMap<Element, Control | null>();

/** A list item with Move up, Move down and Remove, keeping the focus where the keyboard user is. */
function actions(item: HTMLLIElement, list: HTMLOListElement, focusAfterRemove: () => HTMLElement): HTMLElement {
  const move = (offset: -1 | 1) => (event: MouseEvent) => {
    const before = offset < 0 ? item.previousElementSibling : item.nextElementSibling?.nextElementSibling;
    if (offset < 0 && !before) return;
    list.insertBefore(item, before ?? null);
    // Moving the item takes the focus off the button that moved it.
    (event.currentTarget as HTMLButtonElement).focus();
  };
  return el(
    'div',
    { className: 'row' },
    el('button', { type: 'button', textContent: 'Move up', onclick: move(-1) }),
    el('button', { type: 'button', textContent: 'Move down', onclick: move(1) }),
    el('button', {
      type: 'button',
      textContent: 'Remove',
      onclick: () => {
        item.remove();
        focusAfterRemove().focus();
      },
    }),
  );
}

function addOperation(name: string): void {
  const op = operations.get(name)!;
  const item = el('li');
  item.dataset.operation = name;
  const group = el('fieldset', { className: 'operation' }, el('legend', { textContent: humanise(name) }));
  if (op.description) group.append(el('p', { className: 'description', textContent: op.description }));
  const control = operationControl(op);
  controls.set(item, control);
  if (control) group.append(control.element);
  group.append(actions(item, operationList, () => newOperation));
  item.append(group);
  operationList.append(item);
  group.querySelector<HTMLElement>('input, select, textarea, button')!.focus();
}
byId('add-operation').addEventListener('click', () => addOperation(newOperation.value));

/** The operations as CreateImageJobInput wants them, in the order listed, and the files they send. */
function readOperations(files: FileArgument[]): Array<Record<string, unknown>> {
  return [...operationList.children].map((item, i) => {
    const name = (item as HTMLElement).dataset.operation!;
    const control = controls.get(item);
    if (!control) return { [name]: true };
    // An input object left empty is still the operation asked for, with its defaults.
    return { [name]: control.read(`variables.input.operations.${i}.${name}`, files) ?? {} };
  });
}

const output = fieldsControl(catalogue.output);
byId('output').append(output.element);

// A variant row offers its name, a resize width and the output fields people vary most.
const variantOutputFields = catalogue.inputs[catalogue.output].fields.filter((field) => field.name === 'format' || field.name === 'quality');
let variantCount = 0;

interface VariantRow {
  name: HTMLInputElement;
  width: HTMLInputElement;
  output: Control[];
}
const variantRows = new WeakMap<Element, VariantRow>();

function addVariant(): void {
  const n = ++variantCount;
  const item = el('li');
  // The server's rule for names. Browsers compile pattern with the regular expression flag v, where a bare "-" in a class is a syntax error.
  const name = el('input', { type: 'text', id: `variant-${n}-name`, required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}', value: `v${n}` });
  const width = el('input', { type: 'number', id: `variant-${n}-width`, min: '1', step: '1' });
  const outputs = variantOutputFields.map((field) => controlFor(field));
  const group = el(
    'fieldset',
    { className: 'variant' },
    el('legend', { textContent: `Variant ${n}` }),
    el(
      'div',
      { className: 'fields' },
      el('div', { className: 'field' }, el('label', { htmlFor: name.id, textContent: 'Name' }), name),
      el('div', { className: 'field' }, el('label', { htmlFor: width.id, textContent: 'Resize width' }), width),
      ...outputs.map((control) => control.element),
    ),
    actions(item, variantList, () => byId('add-variant')),
  );
  item.append(group);
  variantRows.set(item, { name, width, output: outputs });
  variantList.append(item);
  name.focus();
}
byId('add-variant').addEventListener('click', addVariant);

/** Each variant's output is the job's, with the row's own choices on top (the server takes one or the other). */
function readVariants(jobOutput: Record<string, unknown> | undefined, files: FileArgument[]): Array<Record<string, unknown>> | undefined {
  const rows = [...variantList.children].map((item) => variantRows.get(item)!);
  if (rows.length === 0) return undefined;
  return rows.map((row, i) => {
    const own: Record<string, unknown> = {};
    row.output.forEach((control, j) => {
      const value = control.read(`variables.input.variants.${i}.output.${variantOutputFields[j].name}`, files);
      if (value !== undefined) own[variantOutputFields[j].name] = value;
    });
    const merged = { ...jobOutput, ...own };
    return {
      name: row.name.value.trim(),
      operations: row.width.value ? [{ resize: { width: Number(row.width.value) } }] : [],
      ...(Object.keys(merged).length ? { output: merged } : {}),
    };
  });
}

function describeError(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join(' ');
  if (error instanceof CloseEvent) return `The live connection closed (${error.code}${error.reason ? `: ${error.reason}` : ''}).`;
  return error instanceof Error ? error.message : String(error);
}

/** createImageJob as a GraphQL multipart request: the image is file 0, each Upload argument one more. */
async function createJob(file: File, input: Record<string, unknown>, extra: FileArgument[]): Promise<GraphQLResponse<{ createImageJob: JobView }>> {
  const body = new FormData();
  body.append(
    'operations',
    JSON.stringify({
      query: `mutation Create($input: CreateImageJobInput!) { createImageJob(input: $input) { ${JOB_FIELDS} } }`,
      variables: { input: { ...input, file: null } },
    }),
  );
  const map: Record<string, string[]> = { 0: ['variables.input.file'] };
  extra.forEach((arg, i) => (map[i + 1] = [arg.path]));
  body.append('map', JSON.stringify(map));
  body.append('0', file, file.name);
  extra.forEach((arg, i) => body.append(String(i + 1), arg.file, arg.file.name));
  // Apollo's CSRF prevention wants the preflight header.
  const response = await fetch('/graphql', { method: 'POST', body, headers: { 'Apollo-Require-Preflight': 'true', ...authorization() } });
  if (!response.headers.get('content-type')?.includes('json')) throw new Error(`The server answered ${response.status} ${response.statusText}.`);
  return response.json() as Promise<GraphQLResponse<{ createImageJob: JobView }>>;
}

async function run(file: File, input: Record<string, unknown>, extra: FileArgument[]): Promise<void> {
  const card = new JobCard(jobs, file, (input.operations as Array<Record<string, unknown>>).some((op) => 'locate' in op));
  try {
    const created = await createJob(file, input, extra);
    const job = created.data?.createImageJob;
    if (!job) {
      card.fail(describeError(created.errors ?? 'The server returned no job.'));
      return;
    }
    card.update(job);
    subscriptions.subscribe<{ jobUpdated: JobView }>(
      { query: `subscription Watch($id: ID!) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`, variables: { id: job.id } },
      {
        next: (event) => {
          if (event.data) card.update(event.data.jobUpdated);
          else card.fail(describeError(event.errors));
        },
        error: (error) => card.fail(describeError(error)),
        complete: () => undefined,
      },
    );
  } catch (error) {
    card.fail(describeError(error));
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  formError.textContent = '';
  const extra: FileArgument[] = [];
  let input: Record<string, unknown>;
  try {
    const jobOutput = output.read('variables.input.output', extra) as Record<string, unknown> | undefined;
    const variants = readVariants(jobOutput, extra);
    input = { operations: readOperations(extra), output: jobOutput, ...(variants ? { variants } : {}) };
  } catch (error) {
    if (!(error instanceof FormError)) throw error;
    formError.textContent = error.message;
    return;
  }
  for (const file of fileInput.files ?? []) void run(file, input, extra);
});
