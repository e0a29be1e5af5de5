// The demo page served at GET /: upload images with a list of operations, then
// follow each job live over graphql-ws (jobUpdated) and show its result beside
// the original. Bundled by scripts/build-ui.js.
import { createClient } from 'graphql-ws';
import './style.css';

interface Field {
  name: string;
  label: string;
  kind: 'int' | 'float' | 'fit';
  required?: boolean;
  min?: number;
}

/** What the form offers of schema/schema.graphql's ImageOperation; operations without fields send `true`. */
const OPERATIONS: Record<string, { label: string; fields: Field[] }> = {
  resize: {
    label: 'Resize',
    fields: [
      { name: 'width', label: 'Width', kind: 'int', min: 1 },
      { name: 'height', label: 'Height', kind: 'int', min: 1 },
      { name: 'fit', label: 'Fit', kind: 'fit' },
    ],
  },
  crop: {
    label: 'Crop',
    fields: [
      { name: 'left', label: 'Left', kind: 'int', required: true, min: 0 },
      { name: 'top', label: 'Top', kind: 'int', required: true, min: 0 },
      { name: 'width', label: 'Width', kind: 'int', required: true, min: 1 },
      { name: 'height', label: 'Height', kind: 'int', required: true, min: 1 },
    ],
  },
  rotate: { label: 'Rotate', fields: [{ name: 'angle', label: 'Degrees clockwise', kind: 'float', required: true }] },
  flip: { label: 'Flip (top to bottom)', fields: [] },
  flop: { label: 'Flop (left to right)', fields: [] },
  grayscale: { label: 'Grayscale', fields: [] },
  blur: { label: 'Blur', fields: [{ name: 'sigma', label: 'Sigma (0.3 to 1000)', kind: 'float', required: true, min: 0.3 }] },
  sharpen: { label: 'Sharpen', fields: [{ name: 'sigma', label: 'Sigma (optional)', kind: 'float' }] },
};
const FITS = ['COVER', 'CONTAIN', 'FILL', 'INSIDE', 'OUTSIDE'];

interface JobView {
  id: string;
  status: 'QUEUED' | 'ACTIVE' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  progress: number;
  input: { width: number | null; height: number | null; bytes: number } | null;
  result: { url: string; format: string; width: number; height: number; bytes: number } | null;
  error: { code: string; message: string } | null;
}
interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string }>;
}
const JOB_FIELDS = 'id status progress input { width height bytes } result { url format width height bytes } error { code message }';

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
}

const form = byId<HTMLFormElement>('job-form');
const fileInput = byId<HTMLInputElement>('files');
const fileSummary = byId<HTMLParagraphElement>('file-summary');
const dropZone = byId<HTMLFieldSetElement>('drop-zone');
const operationList = byId<HTMLOListElement>('operations');
const newOperation = byId<HTMLSelectElement>('new-operation');
const apiKey = byId<HTMLInputElement>('api-key');
const jobs = byId<HTMLOListElement>('jobs');

const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;
const pixels = (width: number, height: number): string => `${width} × ${height} px`;
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

let controlIds = 0;

function addOperation(name: string): void {
  const spec = OPERATIONS[name];
  const item = el('li');
  item.dataset.operation = name;
  const group = el('fieldset', { className: 'operation' }, el('legend', { textContent: spec.label }));
  const fields = el('div', { className: 'row' });
  for (const field of spec.fields) {
    const id = `operation-${++controlIds}`;
    const control =
      field.kind === 'fit'
        ? el('select', {}, ...FITS.map((fit) => el('option', { value: fit, textContent: fit.toLowerCase() })))
        : el('input', { type: 'number', step: field.kind === 'int' ? '1' : 'any', required: field.required ?? false });
    if (control instanceof HTMLInputElement && field.min !== undefined) control.min = String(field.min);
    Object.assign(control, { id, name: field.name });
    control.dataset.kind = field.kind;
    fields.append(el('label', { htmlFor: id, textContent: field.label }), control);
  }
  const move = (offset: -1 | 1) => (event: MouseEvent) => {
    const before = offset < 0 ? item.previousElementSibling : item.nextElementSibling?.nextElementSibling;
    if (offset < 0 && !before) return;
    operationList.insertBefore(item, before ?? null);
    // Moving the item takes the focus off the button that moved it.
    (event.currentTarget as HTMLButtonElement).focus();
  };
  const actions = el(
    'div',
    { className: 'row' },
    el('button', { type: 'button', textContent: 'Move up', onclick: move(-1) }),
    el('button', { type: 'button', textContent: 'Move down', onclick: move(1) }),
    el('button', {
      type: 'button',
      textContent: 'Remove',
      onclick: () => {
        item.remove();
        newOperation.focus();
      },
    }),
  );
  group.append(fields, actions);
  item.append(group);
  operationList.append(item);
  group.querySelector<HTMLElement>('input, select, button')!.focus();
}
byId('add-operation').addEventListener('click', () => addOperation(newOperation.value));

/** The operations as CreateImageJobInput wants them, in the order listed; empty optional fields are left out. */
function operations(): Array<Record<string, unknown>> {
  return [...operationList.children].map((item) => {
    const name = (item as HTMLElement).dataset.operation!;
    const controls = [...item.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')];
    if (controls.length === 0) return { [name]: true };
    const args: Record<string, string | number> = {};
    for (const control of controls) {
      if (control.value !== '') args[control.name] = control.dataset.kind === 'fit' ? control.value : Number(control.value);
    }
    return { [name]: args };
  });
}

function output(): Record<string, unknown> | undefined {
  const format = byId<HTMLSelectElement>('format').value;
  const quality = byId<HTMLInputElement>('quality').value;
  if (!format && !quality) return undefined;
  return { ...(format ? { format } : {}), ...(quality ? { quality: Number(quality) } : {}) };
}

function describeError(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join(' ');
  if (error instanceof CloseEvent) return `The live connection closed (${error.code}${error.reason ? `: ${error.reason}` : ''}).`;
  return error instanceof Error ? error.message : String(error);
}

const STATUS_TEXT: Record<JobView['status'], string> = {
  QUEUED: 'Queued',
  ACTIVE: 'Processing',
  COMPLETED: 'Done',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

/** One uploaded file's card: progress, then the result beside the original, or the error. */
class JobCard {
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  private readonly originalCaption: HTMLElement;
  private readonly result: HTMLElement;
  private inputSize: string | null = null;

  constructor(private readonly file: File) {
    const n = ++controlIds;
    this.progress = el('progress', { id: `progress-${n}`, max: 100, value: 0 });
    this.status = el('span', { className: 'status', textContent: 'Uploading' });
    this.status.setAttribute('aria-live', 'polite');
    this.error = el('p', { className: 'error', role: 'alert' });
    this.originalCaption = el('figcaption', { textContent: `Original · ${bytes(file.size)}` });
    const preview = el('img', { src: URL.createObjectURL(file), alt: `Original: ${file.name}` });
    preview.addEventListener('load', () => this.describeOriginal(pixels(preview.naturalWidth, preview.naturalHeight)));
    // Browsers cannot show every input format (TIFF, for one); the server's reading of the header stands in.
    preview.addEventListener('error', () => {
      preview.replaceWith(el('p', { className: 'no-preview', textContent: 'No preview in this browser.' }));
      this.describeOriginal(this.inputSize);
    });
    this.result = el('figure', { className: 'result', hidden: true });
    jobs.prepend(
      el(
        'li',
        { className: 'job' },
        el('h3', { textContent: file.name }),
        el('div', { className: 'row' }, el('label', { htmlFor: this.progress.id, textContent: 'Progress' }), this.progress, this.status),
        this.error,
        el('div', { className: 'images' }, el('figure', { className: 'original' }, preview, this.originalCaption), this.result),
      ),
    );
  }

  private describeOriginal(size: string | null): void {
    this.originalCaption.textContent = ['Original', size, bytes(this.file.size)].filter(Boolean).join(' · ');
  }

  update(job: JobView): void {
    if (job.input?.width && job.input.height) this.inputSize = pixels(job.input.width, job.input.height);
    this.progress.value = job.progress;
    this.status.textContent = job.status === 'ACTIVE' ? `${STATUS_TEXT.ACTIVE}: ${job.progress}%` : STATUS_TEXT[job.status];
    if (job.status === 'FAILED') this.fail(job.error?.message ?? 'The job failed.');
    if (job.status === 'COMPLETED' && job.result) this.showResult(job.result);
  }

  fail(message: string): void {
    this.status.textContent = STATUS_TEXT.FAILED;
    this.error.textContent = message;
  }

  private showResult(result: NonNullable<JobView['result']>): void {
    this.result.replaceChildren(
      el('img', { src: result.url, alt: `Result: ${this.file.name}` }),
      el(
        'figcaption',
        { textContent: `Result · ${pixels(result.width, result.height)} · ${bytes(result.bytes)} · ` },
        el('a', { href: result.url, download: '', textContent: `Download ${result.format}` }),
      ),
    );
    this.result.hidden = false;
  }
}

async function createJob(file: File, input: Record<string, unknown>): Promise<GraphQLResponse<{ createImageJob: JobView }>> {
  // The GraphQL multipart request spec; Apollo's CSRF prevention wants the preflight header.
  const body = new FormData();
  body.append(
    'operations',
    JSON.stringify({
      query: `mutation Create($input: CreateImageJobInput!) { createImageJob(input: $input) { ${JOB_FIELDS} } }`,
      variables: { input: { ...input, file: null } },
    }),
  );
  body.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  body.append('0', file, file.name);
  const response = await fetch('/graphql', { method: 'POST', body, headers: { 'Apollo-Require-Preflight': 'true', ...authorization() } });
  if (!response.headers.get('content-type')?.includes('json')) throw new Error(`The server answered ${response.status} ${response.statusText}.`);
  return response.json() as Promise<GraphQLResponse<{ createImageJob: JobView }>>;
}

async function run(file: File, input: Record<string, unknown>): Promise<void> {
  const card = new JobCard(file);
  try {
    const created = await createJob(file, input);
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
  const input = { operations: operations(), output: output() };
  for (const file of fileInput.files ?? []) void run(file, input);
});
