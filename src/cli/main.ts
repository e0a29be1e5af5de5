#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { Command, Option } from 'commander';
import { ApiError, DarkroomApi, type ImageInfo, type Job } from './api';
import { formatOfName, jobInput, parseCrop, parseNumber, parseOperation, parseSize, parseVariant, type JobFlags } from './options';

const EXTENSIONS: Record<string, string> = { JPEG: 'jpg', PNG: 'png', WEBP: 'webp', AVIF: 'avif', GIF: 'gif', TIFF: 'tiff' };

interface ConnectionFlags {
  url: string;
  apiKey?: string;
}

function api(flags: ConnectionFlags): DarkroomApi {
  return new DarkroomApi(flags.url, flags.apiKey);
}

type Result = Job['results'][number];

function describe(job: Job, result: Result | null = job.result): string {
  const size = result ? ` ${result.width}x${result.height} ${result.format} ${result.bytes} bytes` : '';
  const error = job.error ? ` ${job.error.code}: ${job.error.message}` : '';
  return `${job.id} ${job.status} ${job.progress}%${size}${error}`;
}

/** One line per place a locate step found its template. */
function describeMatches(target: string, result: Result): string {
  return result.matches
    .map((m) => `${target}: match x=${m.x} y=${m.y} w=${m.width} h=${m.height} score=${m.score.toFixed(3)} scale=${m.scale} angle=${m.angle}\n`)
    .join('');
}

/** Upload, follow and download one file (every variant's result); the bar shows the job's own progress. */
async function processFile(
  client: DarkroomApi,
  file: string,
  flags: JobFlags,
  onProgress: (p: number) => void,
): Promise<{ job: Job; outputs: Array<{ result: Result; data: Buffer }> }> {
  const { input, files } = jobInput(flags);
  const created = await client.createJob(file, input, files);
  const job = await client.watch(created.id, (update) => onProgress(update.progress));
  if (job.status !== 'COMPLETED' || job.results.length === 0) {
    throw new ApiError(job.error ? job.error.message : `The job ended ${job.status}.`, job.error?.code ?? job.status);
  }
  const outputs = await Promise.all(job.results.map(async (result) => ({ result, data: await client.download(result.url) })));
  return { job, outputs };
}

async function processCommand(files: string[], flags: JobFlags & ConnectionFlags & { output?: string; outDir: string }): Promise<number> {
  if (flags.output && files.length > 1) throw new ApiError('-o names one output file; use --out-dir for several inputs.', 'USAGE');
  if (flags.output && flags.variant) throw new ApiError('-o names one output file; variants are saved in --out-dir as <input>-<variant>.<ext>.', 'USAGE');
  const names = files.map((file) => path.parse(file).name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new ApiError(`Two inputs are named "${repeated}": their results would overwrite each other; process them separately.`, 'USAGE');
  // Without --format, -o's extension says the format; otherwise the server keeps the input's.
  const named = flags.output && !flags.format ? formatOfName(flags.output) : undefined;
  const extension = flags.output ? path.extname(flags.output) : '';
  if (flags.output && !flags.format && extension && !named) {
    // Else the input's format would be saved under a name that claims another.
    throw new ApiError(`-o ${flags.output}: Darkroom does not write ${extension} files; name it .jpg, .png, .webp, .avif, .gif or .tiff, or give --format.`, 'USAGE');
  }
  const jobFlags: JobFlags = named ? { ...flags, format: named } : flags;
  // Before any upload, so a bad destination costs no processing.
  await mkdir(flags.output ? path.dirname(flags.output) : flags.outDir, { recursive: true });
  const client = api(flags);
  // Bars only on a terminal: elsewhere cli-progress would still print every bar once at the end,
  // a failed file's without its name, after the lines below already said it all.
  const bars = process.stderr.isTTY === true
    ? new MultiBar({ format: ' {bar} {percentage}% {name}', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
    : null;
  const overall = bars && files.length > 1 ? bars.create(files.length * 100, 0, { name: 'all files' }) : null;
  const progress = new Map<string, number>();
  let failures = 0;
  await Promise.all(
    files.map(async (file) => {
      const bar = bars?.create(100, 0, { name: path.basename(file) });
      try {
        const { job, outputs } = await processFile(client, file, jobFlags, (p) => {
          bar?.update(p);
          progress.set(file, p);
          overall?.update([...progress.values()].reduce((a, b) => a + b, 0), { name: 'all files' });
        });
        const targets: string[] = [];
        for (const { result, data } of outputs) {
          // Named after the input (and the variant), with the extension of the format the server chose.
          const base = flags.variant ? `${path.parse(file).name}-${result.name}` : path.parse(file).name;
          const target = flags.output ?? path.join(flags.outDir, `${base}.${EXTENSIONS[result.format]}`);
          await writeFile(target, data);
          targets.push(target);
          if (!bars) process.stdout.write(`${file} → ${target} (${describe(job, result)})\n`);
          process.stdout.write(describeMatches(target, result));
        }
        bar?.update(100, { name: `${path.basename(file)} → ${targets.join(', ')}` });
      } catch (err) {
        failures++;
        bar?.stop();
        const message = err instanceof ApiError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
        process.stderr.write(`darkroom: ${file}: ${message}\n`);
      }
    }),
  );
  bars?.stop();
  return failures === 0 ? 0 : 1;
}

async function statusCommand(id: string, flags: ConnectionFlags): Promise<number> {
  const job = await api(flags).job(id);
  if (!job) throw new ApiError(`No job ${id}: it does not exist or has expired.`, 'NOT_FOUND');
  process.stdout.write(`${describe(job)}\n`);
  return 0;
}

function describeInfo(info: ImageInfo): string {
  const exif = info.exif;
  const lines: Array<[string, unknown]> = [
    ['file', info.filename],
    ['format', [info.format ?? 'not an output format', info.mediaType && `(${info.mediaType})`].filter(Boolean).join(' ')],
    ['size', `${info.width}x${info.height} (stored ${info.storedWidth}x${info.storedHeight}, orientation ${info.orientation})`],
    ['bytes', info.bytes],
    ['pixels', `${info.colorSpace}, ${info.channels} channels, ${info.bitDepth} bits, alpha ${info.hasAlpha ? 'yes' : 'no'}, ${info.frames} frame(s)`],
    ['icc profile', info.iccProfile ?? 'none'],
    ['exif', exif ? [exif.make, exif.model, exif.takenAt && `taken ${exif.takenAt}`, `GPS ${exif.hasGps ? 'yes' : 'no'}`].filter(Boolean).join(', ') : 'none'],
    ['dominant colour', info.dominantColor],
  ];
  return lines.map(([key, value]) => `${key}: ${value}\n`).join('');
}

async function infoCommand(file: string, flags: ConnectionFlags): Promise<number> {
  process.stdout.write(describeInfo(await api(flags).imageInfo(file)));
  return 0;
}

const connection = (command: Command) =>
  command
    .addOption(new Option('--url <url>', 'Darkroom web process').env('DARKROOM_URL').default('http://localhost:4000'))
    .addOption(new Option('--api-key <key>', 'API key, when the server requires one').env('DARKROOM_API_KEY'));

const program = new Command('darkroom').description('Process images with a Darkroom server.').exitOverride();

connection(
  program
    .command('process')
    .description('upload images, follow their progress and save the results')
    .argument('<files...>', 'images to process')
    .option('--resize <WxH>', 'resize to WIDTHxHEIGHT (either may be left out)', parseSize)
    .addOption(new Option('--fit <fit>', 'how --resize fits both sides').choices(['cover', 'contain', 'fill', 'inside', 'outside']))
    .option('--crop <l,t,w,h>', 'cut out a rectangle', parseCrop)
    .option('--rotate <degrees>', 'rotate clockwise', parseNumber)
    .option('--flip', 'mirror top to bottom')
    .option('--flop', 'mirror left to right')
    .option('--grayscale', 'remove colour')
    .option('--blur <sigma>', 'Gaussian blur', parseNumber)
    .option('--sharpen', 'sharpen')
    .addOption(new Option('--format <format>', 'output format').choices(['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff']))
    .option('--quality <1-100>', 'output quality', parseNumber)
    .option('--op <json>', 'any operation as JSON, after the flags above; repeatable; {"$file":"path"} sends a file for an Upload argument', parseOperation)
    .option('--variant <name:WxH[:format[:quality]]>', 'one more output, saved as <input>-<name>.<ext>; repeatable', parseVariant)
    .option('-o, --output <file>', 'where to save the result (one input only)')
    .option('--out-dir <dir>', 'where to save results', '.'),
).action(async (files: string[], flags) => {
  process.exitCode = await processCommand(files, flags);
});

connection(program.command('status').description("print a job's state").argument('<id>', 'job id')).action(async (id: string, flags) => {
  process.exitCode = await statusCommand(id, flags);
});

connection(program.command('info').description('what an image is, read by the server without making a job').argument('<file>', 'image')).action(
  async (file: string, flags) => {
    process.exitCode = await infoCommand(file, flags);
  },
);

program.parseAsync(process.argv).catch((err: unknown) => {
  if ((err as { code?: string }).code?.startsWith('commander.')) {
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
    return;
  }
  const message = err instanceof ApiError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`darkroom: ${message}\n`);
  process.exitCode = 1;
});
