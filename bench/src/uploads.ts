import sharp from 'sharp';
import { DarkroomClient } from './client';
import { peakRssMiB, rssMiB } from './procstat';
import { sleep } from './stats';

export interface UploadsResult {
  uploads: number;
  /** Size of the one image every upload sends. */
  bytes: number;
  image: string;
  idleRss: number | null;
  /** Highest VmRSS sampled every 10 ms while the uploads were in flight. */
  sampledPeak: number | null;
  /** VmHWM after the uploads, when it rose during them (then it is their exact peak); else null. */
  hwmPeak: number | null;
  peak: number | null;
  /** Peak minus idle, over the bytes of all uploads in flight at once. */
  heldPerUploadedByte: number | null;
  uploadMs: number;
  completedMs: number;
  rssAfter: number | null;
}

/**
 * A valid image of about `bytes`: Gaussian noise does not compress, so a PNG
 * of it is as large as its pixels (3 bytes each at compression level 1).
 */
export async function noisyPng(bytes: number): Promise<{ data: Buffer; width: number; height: number }> {
  const width = 2048;
  const height = Math.ceil(bytes / (3 * width));
  const data = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 64 } } })
    .png({ compressionLevel: 1, adaptiveFiltering: false })
    .toBuffer();
  return { data, width, height };
}

/**
 * `count` createImageJob uploads of the same ~`bytes` image at once, while
 * the web process's RSS is watched; then every job is awaited to COMPLETED.
 * Each job only makes a small thumbnail, so the worker does not stretch the run.
 */
export async function runUploads(client: DarkroomClient, webPid: number, count: number, bytes: number): Promise<UploadsResult> {
  const image = await noisyPng(bytes);
  const upload = DarkroomClient.upload('noise.png', image.data, { operations: [{ resize: { width: 64 } }], output: { format: 'WEBP', quality: 50 } });
  // Let the garbage of earlier sections go, so idle is idle.
  await sleep(1000);
  const idleRss = rssMiB(webPid);
  const hwmBefore = peakRssMiB(webPid);
  let sampledPeak = idleRss ?? 0;
  const timer = setInterval(() => {
    const rss = rssMiB(webPid);
    if (rss !== null) sampledPeak = Math.max(sampledPeak, rss);
  }, 10);
  const t0 = performance.now();
  let ids: string[];
  try {
    ids = await Promise.all(Array.from({ length: count }, () => client.create(upload)));
  } finally {
    clearInterval(timer);
  }
  const uploadMs = performance.now() - t0;
  const hwmAfter = peakRssMiB(webPid);
  await Promise.all(ids.map((id) => client.completion(id)));
  const completedMs = performance.now() - t0;
  const hwmPeak = hwmAfter !== null && hwmBefore !== null && hwmAfter > hwmBefore ? hwmAfter : null;
  const peak = Math.max(sampledPeak, hwmPeak ?? 0) || null;
  const mib = (count * image.data.length) / 2 ** 20;
  return {
    uploads: count,
    bytes: image.data.length,
    image: `${image.width}x${image.height} RGB PNG of noise`,
    idleRss,
    sampledPeak,
    hwmPeak,
    peak,
    heldPerUploadedByte: peak !== null && idleRss !== null ? (peak - idleRss) / mib : null,
    uploadMs,
    completedMs,
    rssAfter: rssMiB(webPid),
  };
}
