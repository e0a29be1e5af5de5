import { badInput } from '../errors';
import { colour } from '../operations/checks';
import type { Match } from './locate';

export interface MarkStyle {
  shape: 'circle' | 'box';
  /** Any CSS colour sharp accepts. */
  colour: string;
  /** Line width in output pixels, 1..50. */
  strokeWidth: number;
  /** Write the score beside each mark. */
  label: boolean;
}

export const MARK_DEFAULTS: Readonly<MarkStyle> = Object.freeze({ shape: 'box', colour: '#ff0000', strokeWidth: 3, label: false });

export const MAX_STROKE_WIDTH = 50;

export function markStyle(input: Partial<MarkStyle> = {}, field = 'mark'): MarkStyle {
  const shape = input.shape ?? MARK_DEFAULTS.shape;
  if (shape !== 'circle' && shape !== 'box') throw badInput(`${field}.shape`, `must be "circle" or "box", got ${String(shape)}`);
  const strokeWidth = input.strokeWidth ?? MARK_DEFAULTS.strokeWidth;
  if (typeof strokeWidth !== 'number' || !Number.isFinite(strokeWidth) || strokeWidth < 1 || strokeWidth > MAX_STROKE_WIDTH) {
    throw badInput(`${field}.strokeWidth`, `must be a number of pixels from 1 to ${MAX_STROKE_WIDTH}, got ${String(strokeWidth)}`);
  }
  const label = input.label ?? MARK_DEFAULTS.label;
  if (typeof label !== 'boolean') throw badInput(`${field}.label`, `must be true or false, got ${String(label)}`);
  return { shape, colour: colour(input.colour ?? MARK_DEFAULTS.colour, `${field}.colour`), strokeWidth, label };
}

/** The colour goes into an attribute; sharp's check already refuses anything odd, escaping makes sure. */
function attribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function number(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * An SVG the size of the output image with a box or circle around each match, for
 * `sharp(output).composite([{ input: svg, top: 0, left: 0 }])`. Labels use the generic
 * sans-serif family, which libvips resolves through fontconfig to the fonts installed.
 */
export function drawMarks(width: number, height: number, matches: readonly Match[], style: MarkStyle): Buffer {
  const colourAttr = attribute(style.colour);
  const sw = style.strokeWidth;
  const fontSize = Math.min(48, 12 + 2 * sw);
  const shapes = matches.map((m) =>
    style.shape === 'box'
      ? `<rect x="${number(m.x - sw / 2)}" y="${number(m.y - sw / 2)}" width="${number(m.width + sw)}" height="${number(m.height + sw)}"/>`
      : `<circle cx="${number(m.x + m.width / 2)}" cy="${number(m.y + m.height / 2)}" r="${number(Math.max(m.width, m.height) / 2 + sw / 2)}"/>`,
  );
  // Above the mark, or below it when the mark touches the top edge; a dark outline keeps it legible on any photo.
  const labels = style.label
    ? matches.map((m) => {
        const top = style.shape === 'box' ? m.y : m.y + m.height / 2 - Math.max(m.width, m.height) / 2;
        const bottom = style.shape === 'box' ? m.y + m.height : m.y + m.height / 2 + Math.max(m.width, m.height) / 2;
        const above = top - sw - 4;
        const baseline = above - fontSize >= 0 ? above : Math.min(height - 2, bottom + sw + fontSize);
        return `<text x="${number(Math.max(0, m.x))}" y="${number(baseline)}">${m.score.toFixed(2)}</text>`;
      })
    : [];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<g fill="none" stroke="${colourAttr}" stroke-width="${number(sw)}">${shapes.join('')}</g>` +
    (labels.length > 0
      ? `<g fill="${colourAttr}" stroke="#000000" stroke-width="${number(Math.max(1, fontSize / 8))}" paint-order="stroke" ` +
        `font-family="sans-serif" font-weight="bold" font-size="${fontSize}">${labels.join('')}</g>`
      : '') +
    `</svg>`;
  return Buffer.from(svg);
}
