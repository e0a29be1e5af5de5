#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { Command, Option } from 'commander';
import { ApiError, DarkroomApi, type Job } from './api';
import { jobInput, parseCrop, parseNumber, parseSize, type JobFlags } from './options';

const EXTENSIONS: Record<string, string> = { JPEG: 'jpg', PNG: 'png', WEBP: 'webp', AVIF: 'avif', GIF: 'gif', TIFF: 'tiff' };

interface ConnectionFlags {
  url: string;
  apiKey?: string;
}

function api(flags: ConnectionFlags): DarkroomApi {
  return new DarkroomApi(flags.url, flags.apiKey);
}

function describe(job: Job): string {
  const size = job.result ? ` ${job.result.width}x${job.result.height} ${job.result.format} ${job.result.bytes} bytes` : '';
  const error = job.error ? ` ${job.error.code}: ${job.error.message}` : '';
  return `${job.id} ${job.status} ${job.progress}%${size}${error}`;
}

/** Upload, follow and download one file; the bar shows the job's own progress. */
async function processFile(client: DarkroomApi, file: string, flags: JobFlags, target: string, onProgress: (p: number) => void): Promise<Job> {
  const created = await client.createJob(file, jobInput(flags));
  const final = await client.watch(created.id, (job) => onProgress(job.progress));
  if (final.status !== 'COMPLETED' || !final.result) {
    throw new ApiError(final.error ? `${final.error.message}` : `The job ended ${final.status}.`, final.error?.code ?? final.status);
  }
  await writeFile(target, await client.download(final.result.url));
  return final;
}

async function processCommand(files: string[], flags: JobFlags & ConnectionFlags & { output?: string; outDir: string }): Promise<number> {
  if (flags.output && files.length > 1) throw new ApiError('-o names one output file; use --out-dir for several inputs.', 'USAGE');
  const client = api(flags);
  const interactive = process.stderr.isTTY === true;
  const bars = new MultiBar({ format: ' {bar} {percentage}% {name}', hideCursor: true, noTTYOutput: false, stream: process.stderr }, Presets.shades_classic);
  const overall = files.length > 1 ? bars.create(files.length * 100, 0, { name: 'all files' }) : null;
  const progress = new Map<string, number>();
  let failures = 0;
  await Promise.all(
    files.map(async (file) => {
      const bar = bars.create(100, 0, { name: path.basename(file) });
      const target = flags.output ?? path.join(flags.outDir, `${path.parse(file).name}.${EXTENSIONS[flags.format?.toUpperCase() ?? ''] ?? 'out'}`);
      try {
        const job = await processFile(client, file, flags, target, (p) => {
          bar.update(p);
          progress.set(file, p);
          overall?.update([...progress.values()].reduce((a, b) => a + b, 0));
        });
        const finalTarget = flags.format || flags.output ? target : target.replace(/\.out$/, `.${EXTENSIONS[job.result!.format]}`);
        if (finalTarget !== target) await import('node:fs/promises').then((fs) => fs.rename(target, finalTarget));
        bar.update(100, { name: `${path.basename(file)} → ${finalTarget}` });
        if (!interactive) process.stdout.write(`${file} → ${finalTarget} (${describe(job)})\n`);
      } catch (err) {
        failures++;
        bar.stop();
        const message = err instanceof ApiError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
        process.stderr.write(`darkroom: ${file}: ${message}\n`);
      }
    }),
  );
  bars.stop();
  return failures === 0 ? 0 : 1;
}

async function statusCommand(id: string, flags: ConnectionFlags): Promise<number> {
  const job = await api(flags).job(id);
  if (!job) throw new ApiError(`No job ${id}: it does not exist or has expired.`, 'NOT_FOUND');
  process.stdout.write(`${describe(job)}\n`);
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
    .option('-o, --output <file>', 'where to save the result (one input only)')
    .option('--out-dir <dir>', 'where to save results', '.'),
).action(async (files: string[], flags) => {
  process.exitCode = await processCommand(files, flags);
});

connection(program.command('status').description("print a job's state").argument('<id>', 'job id')).action(async (id: string, flags) => {
  process.exitCode = await statusCommand(id, flags);
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if ((err as { code?: string }).code?.startsWith('commander.')) {
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
    return;
  }
  const message = err instanceof ApiError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`darkroom: ${message}\n`);
  process.exitCode = 1;
});
