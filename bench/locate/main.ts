import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { greyImage, locate, type GreyImage, type Match } from '../../src/locate';
import { iou } from '../../src/locate/nms';
import { DatasetBuilder, HEIGHT, MIN_CORNERNESS, UNIQUE_BELOW, TEMPLATE_SIDE, WIDTH, type Box, type Condition, type Scene } from './dataset';
import { Random } from './random';
import { replaceSection } from '../src/sections';

const SEED = 20240808;
const SCENES = 32;
const INSTANCES = 2;
const THRESHOLD = 0.8;
const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');

const log = (message: string): void => {
  process.stderr.write(`[bench:locate ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

const CONDITIONS: Condition[] = [
  { name: 'scale 1, JPEG + brightness', scale: [1, 1], noise: 0, decoys: false, turns: false },
  { name: 'scale 1, JPEG + brightness + noise σ6, decoys', scale: [1, 1], noise: 6, decoys: true, turns: false },
  { name: 'scale 0.8–1.25, JPEG + brightness + noise σ6, decoys', scale: [0.8, 1.25], noise: 6, decoys: true, turns: false },
  { name: 'scale 1, quarter turns, JPEG + brightness + noise σ6, decoys', scale: [1, 1], noise: 6, decoys: true, turns: true },
];

interface Search {
  label: string;
  scales: number[];
  rotationInvariant: boolean;
}

const ONE: Search = { label: '1 scale', scales: [1], rotationInvariant: false };
const THREE: Search = { label: '3 scales (0.8, 1, 1.25)', scales: [0.8, 1, 1.25], rotationInvariant: false };
const FIVE: Search = { label: '5 scales (0.8, 0.9, 1, 1.12, 1.25)', scales: [0.8, 0.9, 1, 1.12, 1.25], rotationInvariant: false };
const TURNS: Search = { label: '1 scale, rotation-invariant', scales: [1], rotationInvariant: true };

/** Which searches run on which condition's scenes. */
const RUNS: Array<[number, Search[]]> = [
  [0, [ONE, THREE]],
  [1, [ONE, THREE]],
  [2, [ONE, THREE, FIVE]],
  [3, [ONE, TURNS]],
];

interface Row {
  condition: string;
  search: string;
  instances: number;
  matches: number;
  truePositives: number;
  onDecoys: number;
  maxOffset: number;
  times: number[];
}

interface Prepared {
  scene: Scene;
  image: GreyImage;
  template: GreyImage;
}

/** Greedy, best match first: a match is right when it overlaps a not-yet-claimed pasted instance by IoU >= 0.5. */
function score(matches: Match[], truth: Box[], decoys: Box[] = []): { truePositives: number; maxOffset: number; onDecoys: number } {
  const claimed = new Set<number>();
  let truePositives = 0;
  let maxOffset = 0;
  let onDecoys = 0;
  for (const m of matches) {
    let best = -1;
    let bestIou = 0.5;
    truth.forEach((t, i) => {
      const overlap = iou({ ...t, score: 0 }, m);
      if (!claimed.has(i) && overlap >= bestIou) {
        best = i;
        bestIou = overlap;
      }
    });
    if (best >= 0) {
      claimed.add(best);
      truePositives++;
      maxOffset = Math.max(maxOffset, Math.abs(truth[best].x - m.x), Math.abs(truth[best].y - m.y));
    } else if (decoys.some((d) => iou({ ...d, score: 0 }, m) >= 0.5)) {
      onDecoys++;
    }
  }
  return { truePositives, maxOffset, onDecoys };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

async function run(prepared: Prepared[], condition: Condition, search: Search): Promise<Row> {
  const row: Row = { condition: condition.name, search: search.label, instances: 0, matches: 0, truePositives: 0, onDecoys: 0, maxOffset: 0, times: [] };
  for (const { scene, image, template } of prepared) {
    const started = performance.now();
    const matches = await locate(image, template, { threshold: THRESHOLD, maxMatches: 10, scales: search.scales, rotationInvariant: search.rotationInvariant });
    row.times.push(performance.now() - started);
    const { truePositives, maxOffset, onDecoys } = score(matches, scene.truth, scene.decoys);
    row.onDecoys += onDecoys;
    row.instances += scene.truth.length;
    row.matches += matches.length;
    row.truePositives += truePositives;
    row.maxOffset = Math.max(row.maxOffset, maxOffset);
  }
  return row;
}

interface SizeRow {
  side: number;
  median: number;
  found: boolean;
}

async function timeBySize(builder: DatasetBuilder): Promise<SizeRow[]> {
  const rows = [];
  for (const side of [32, 64, 128, 256]) {
    const { jpeg, template, truth } = await builder.pastedPatch(side);
    const image = await greyImage(jpeg);
    const grey = await greyImage(template);
    const times = [];
    let found = false;
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const matches = await locate(image, grey, { threshold: THRESHOLD });
      times.push(performance.now() - started);
      found = score(matches, [truth]).truePositives === 1;
    }
    rows.push({ side, median: percentile(times, 50), found });
  }
  return rows;
}

function render(rows: Row[], sizes: SizeRow[], decodeMs: number[], load: { before: number[]; after: number[] }): string {
  const f = (n: number, digits = 1): string => n.toFixed(digits);
  const lines = [
    '## Locate',
    '',
    `Generated by \`npm run bench:locate\` (\`bench/locate/\`, seed ${SEED}); rerun it to refresh this section only. ` +
      `Template matching by zero-mean NCC (\`src/locate/\`) on ${SCENES} generated scenes per condition: ` +
      `real corpus photos (${'8'} of them) resized to ${WIDTH}x${HEIGHT}, each with ${INSTANCES} pastes of one ${TEMPLATE_SIDE}x${TEMPLATE_SIDE} template ` +
      '(three in four cut from `2569067123_aca715a2ee_o.jpg`: a window with grey standard deviation ≥ 30, structure in both directions ' +
      `(structure-tensor eigenvalue ratio ≥ ${MIN_CORNERNESS}) and one of a kind in that photo (nothing further than 16 px away scores ≥ ${UNIQUE_BELOW}), ` +
      'which rules out lone edges, stripes and gradients; one in four drawn: seven small random shapes and two lines on a tinted square, grey standard deviation ≥ 30), ' +
      'then a random contrast ×0.85–1.15 and brightness ±25, optional Gaussian noise, and JPEG re-encoding at quality 60–85. ' +
      'Decoys are two similar-but-different patches per scene: the photo 24–40 px beside the template (for a drawing, the drawing with its last three shapes redrawn) and the template mirrored. ' +
      `A match (threshold ${THRESHOLD}, maxMatches 10) is right when its box overlaps an unclaimed pasted instance by IoU ≥ 0.5. ` +
      'Time is `locate()` alone on the decoded greyscale 1920x1080 image, one search at a time on one core.',
    '',
    '| scenes | search | instances | recall | precision | false matches (on decoys) | max offset (px) | mean ms | p50 ms | p95 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.condition} | ${r.search} | ${r.instances} | ${f(r.truePositives / r.instances, 3)} | ${f(r.matches === 0 ? 1 : r.truePositives / r.matches, 3)} | ${r.matches - r.truePositives} (${r.onDecoys}) | ${r.maxOffset} | ${f(mean(r.times))} | ${f(percentile(r.times, 50))} | ${f(percentile(r.times, 95))} |`,
    ),
    '',
    'Search time by template size, one scale: a square of the saw blade pasted once into a 1920x1080 scene, JPEG-recompressed (median of 7; target for 64x64: < 150 ms):',
    '',
    '| template | median ms | found |',
    '| --- | ---: | --- |',
    ...sizes.map((s) => `| ${s.side}x${s.side} | ${f(s.median)} | ${s.found ? 'yes' : 'no'} |`),
    '',
    `Decoding a 1920x1080 JPEG to greyscale with sharp (\`greyImage\`), not included above: p50 ${f(percentile(decodeMs, 50))} ms.`,
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, sharp ${sharp.versions.sharp}; ` +
      `load average ${load.before.map((l) => f(l, 2)).join(' ')} at the start and ${load.after.map((l) => f(l, 2)).join(' ')} at the end (other work shared the cores).`,
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : path.join(PROJECT_ROOT, 'BENCHMARKS.md');
  const load = { before: os.loadavg(), after: [] as number[] };
  sharp.concurrency(1);
  const builder = new DatasetBuilder(new Random(SEED));
  const rows: Row[] = [];
  const decodeMs: number[] = [];
  for (const [index, searches] of RUNS) {
    const condition = CONDITIONS[index];
    log(`building ${SCENES} scenes: ${condition.name}`);
    const prepared: Prepared[] = [];
    for (let i = 0; i < SCENES; i++) {
      const scene = await builder.scene(condition, INSTANCES, i % 4 === 3 ? 'drawn' : 'photo');
      const started = performance.now();
      const image = await greyImage(scene.jpeg);
      decodeMs.push(performance.now() - started);
      prepared.push({ scene, image, template: await greyImage(scene.template) });
    }
    // One untimed search first, so the JIT has compiled the hot loops before anything is measured.
    await locate(prepared[0].image, prepared[0].template, { threshold: THRESHOLD });
    for (const search of searches) {
      log(`searching: ${search.label}`);
      const row = await run(prepared, condition, search);
      log(`recall ${(row.truePositives / row.instances).toFixed(3)}, precision ${(row.truePositives / Math.max(1, row.matches)).toFixed(3)}, mean ${mean(row.times).toFixed(1)} ms`);
      rows.push(row);
    }
  }
  log('timing by template size');
  const sizes = await timeBySize(builder);
  load.after = os.loadavg();
  const section = render(rows, sizes, decodeMs, load);
  replaceSection(out, section);
  process.stdout.write(section);
  log(`wrote the Locate section of ${out}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
