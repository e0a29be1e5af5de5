export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const overlap = w * h;
  return overlap / (a.width * a.height + b.width * b.height - overlap);
}

/**
 * Greedy non-maximum suppression: best first, a box is dropped when it overlaps a kept one
 * by more than `maxIou`, so one instance seen at several positions, scales or turns counts once.
 */
export function suppress<T extends Box>(boxes: T[], maxIou: number, limit: number): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const box of sorted) {
    if (kept.length === limit) break;
    if (kept.every((k) => iou(k, box) <= maxIou)) kept.push(box);
  }
  return kept;
}
