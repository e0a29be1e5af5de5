// One uploaded file's card on the demo page: live progress, then one result per
// variant beside the original (with its placeholder and matches when it has them),
// or the error.
import type { ResultFieldsFragment } from '../../src/generated/operations';
import { bytes, el, nextId, pixels } from './dom';

/** One match, as the schema's client operations read it. */
type Match = ResultFieldsFragment['matches'][number];

export interface ResultView {
  name: string;
  url: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  placeholder: { thumbhash: string; dominantColor: string; dataUrl: string } | null;
  matches: Match[];
}

export interface JobView {
  id: string;
  status: 'QUEUED' | 'ACTIVE' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  progress: number;
  input: { width: number | null; height: number | null; bytes: number } | null;
  results: ResultView[];
  error: { code: string; message: string } | null;
}

export const JOB_FIELDS = `id status progress input { width height bytes } error { code message }
  results { name url format width height bytes placeholder { thumbhash dominantColor dataUrl } matches { x y width height score scale angle } }`;

const STATUS_TEXT: Record<JobView['status'], string> = {
  QUEUED: 'Queued',
  ACTIVE: 'Processing',
  COMPLETED: 'Done',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

/** The name a job without variants gives its only result. */
const DEFAULT_VARIANT = 'default';

function placeholderFigure(result: ResultView, label: string): HTMLElement {
  const { dataUrl, dominantColor } = result.placeholder!;
  // The data URL is a few pixels a side: stretched over the result's box, as a page would show it.
  const preview = el('img', { src: dataUrl, alt: `Placeholder for ${label}` });
  preview.style.aspectRatio = `${result.width} / ${result.height}`;
  const swatch = el('span', { className: 'swatch' });
  swatch.style.background = dominantColor;
  return el(
    'figure',
    { className: 'placeholder' },
    preview,
    el('figcaption', {}, 'Placeholder · dominant colour ', swatch, ` ${dominantColor} · ThumbHash ${result.placeholder!.thumbhash.length} characters`),
  );
}

/** Where a locate step found its template, in pixels of the image at that step; an empty table says it found nothing. */
function matchTable(matches: Match[], label: string): HTMLTableElement {
  const header = ['x', 'y', 'width', 'height', 'score', 'scale', 'angle'];
  const count = matches.length === 0 ? 'No match' : `${matches.length} ${matches.length === 1 ? 'match' : 'matches'}`;
  return el(
    'table',
    { className: 'matches' },
    el('caption', { textContent: `${count} in ${label}` }),
    el('thead', {}, el('tr', {}, ...header.map((h) => el('th', { scope: 'col', textContent: h })))),
    el(
      'tbody',
      {},
      ...matches.map((m) =>
        el('tr', {}, ...[m.x, m.y, m.width, m.height, m.score.toFixed(3), m.scale.toFixed(2), `${m.angle}°`].map((v) => el('td', { textContent: String(v) }))),
      ),
    ),
  );
}

export class JobCard {
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  private readonly originalCaption: HTMLElement;
  private readonly images: HTMLElement;
  private inputSize: string | null = null;
  private shown = false;

  constructor(
    list: HTMLElement,
    private readonly file: File,
    /** The job has a locate step, so every result lists its matches, even none. */
    private readonly locating = false,
  ) {
    this.progress = el('progress', { id: nextId('progress'), max: 100, value: 0 });
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
    this.images = el('div', { className: 'images' }, el('figure', { className: 'original' }, preview, this.originalCaption));
    list.prepend(
      el(
        'li',
        { className: 'job' },
        el('h3', { textContent: file.name }),
        el('div', { className: 'row' }, el('label', { htmlFor: this.progress.id, textContent: 'Progress' }), this.progress, this.status),
        this.error,
        this.images,
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
    if (job.status === 'COMPLETED' && !this.shown) {
      this.shown = true;
      for (const result of job.results) this.showResult(result);
    }
  }

  fail(message: string): void {
    this.status.textContent = STATUS_TEXT.FAILED;
    this.error.textContent = message;
  }

  private showResult(result: ResultView): void {
    const named = result.name !== DEFAULT_VARIANT;
    const label = named ? `${this.file.name}, ${result.name}` : this.file.name;
    const figure = el(
      'figure',
      { className: 'result' },
      el('img', { src: result.url, alt: `Result: ${label}` }),
      el(
        'figcaption',
        { textContent: `${named ? `Result ${result.name}` : 'Result'} · ${pixels(result.width, result.height)} · ${bytes(result.bytes)} · ` },
        el('a', { href: result.url, download: '', textContent: `Download ${named ? `${result.name} ` : ''}${result.format}` }),
      ),
    );
    figure.dataset.variant = result.name;
    if (this.locating || result.matches.length > 0) {
      // Marks are drawn a few pixels wide: the result takes the card's whole width to show them.
      figure.classList.add('located');
      figure.append(matchTable(result.matches, label));
    }
    if (result.placeholder) figure.append(placeholderFigure(result, label));
    this.images.append(figure);
  }
}
