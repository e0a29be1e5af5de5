import path from 'node:path';
import sharp from 'sharp';
import { greyImage, locate, type GreyImage } from '../../src/locate';
import { CORPUS_DIR } from '../src/corpus';
import { Random } from './random';

export const WIDTH = 1920;
export const HEIGHT = 1080;
export const TEMPLATE_SIDE = 64;

/** Templates are cut from this photo; scenes are built on the others. */
export const TEMPLATE_SOURCE = '2569067123_aca715a2ee_o.jpg';
export const BACKGROUNDS = [
  '4.webp',
  'gain-map.jpg',
  'Landscape_1.jpg',
  'Channel_digital_image_CMYK_color.jpg',
  'concert.jpg',
  'tifftag-photoshop.tiff',
  'embedgravitybird.png',
  '320x240.jpg',
];

/** What is done to a scene after the pastes. */
export interface Condition {
  name: string;
  /** Each paste is resized by a factor drawn from this range. */
  scale: [number, number];
  /** Standard deviation of the Gaussian noise added to every pixel, in grey levels. */
  noise: number;
  /** Two similar-but-different patches pasted beside the real instances. */
  decoys: boolean;
  /** Each paste turned by a random multiple of 90 degrees. */
  turns: boolean;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Scene {
  /** JPEG-recompressed 1920x1080 scene. */
  jpeg: Buffer;
  template: Buffer;
  templateKind: 'photo' | 'drawn';
  truth: Box[];
  decoys: Box[];
}

interface TemplateSource {
  kind: 'photo' | 'drawn';
  template: Buffer;
  /** Similar but different: a neighbouring patch of the same photo, or the drawing with one shape changed. */
  lookalike: Buffer;
}

const file = (name: string): string => path.join(CORPUS_DIR, name);

/** Smaller over larger eigenvalue of the patch's structure tensor: ~0 for one straight edge, 1 for texture or corners alike. */
export const MIN_CORNERNESS = 0.3;
export const UNIQUE_BELOW = 0.7;

function cornerness(data: GreyImage['data'], width: number, left: number, top: number, side: number): number {
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let y = top + 1; y < top + side - 1; y++) {
    for (let x = left + 1; x < left + side - 1; x++) {
      const gx = data[y * width + x + 1] - data[y * width + x - 1];
      const gy = data[(y + 1) * width + x] - data[(y - 1) * width + x];
      xx += gx * gx;
      yy += gy * gy;
      xy += gx * gy;
    }
  }
  const half = (xx + yy) / 2;
  const spread = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy);
  return (half - spread) / (half + spread);
}

export class DatasetBuilder {
  private backgrounds = new Map<string, Buffer>();
  private sourceGrey?: GreyImage;

  constructor(private readonly random: Random) {}

  /**
   * A template worth looking for is one of a kind in its own photo: nothing further than 16 px
   * from where it was cut scores UNIQUE_BELOW or more. This throws out edges, stripes and
   * smooth gradients, which match every such spot in any photo.
   */
  private async unique(template: Buffer, left: number, top: number): Promise<boolean> {
    const source = this.sourceGrey as GreyImage;
    const matches = await locate(source, await greyImage(template), { threshold: UNIQUE_BELOW, maxMatches: 5 });
    return matches.every((m) => Math.abs(m.x - left) <= 16 && Math.abs(m.y - top) <= 16);
  }

  private async background(name: string): Promise<Buffer> {
    let raw = this.backgrounds.get(name);
    if (!raw) {
      raw = await sharp(file(name), { limitInputPixels: false })
        .rotate()
        .resize(WIDTH, HEIGHT, { fit: 'cover' })
        .flatten({ background: '#000000' })
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer();
      this.backgrounds.set(name, raw);
    }
    return raw;
  }

  /** A 64x64 window of the template photo with enough structure to be findable (grey std >= 30). */
  private async photoTemplate(): Promise<TemplateSource> {
    if (!this.sourceGrey) {
      this.sourceGrey = await greyImage(sharp(file(TEMPLATE_SOURCE)));
    }
    const { data, width, height } = this.sourceGrey;
    const side = TEMPLATE_SIDE;
    const shift = 40;
    for (;;) {
      const left = this.random.int(shift, width - side - shift);
      const top = this.random.int(shift, height - side - shift);
      let sum = 0;
      let squares = 0;
      for (let y = top; y < top + side; y++) {
        for (let x = left; x < left + side; x++) {
          const v = data[y * width + x];
          sum += v;
          squares += v * v;
        }
      }
      const n = side * side;
      if (Math.sqrt(squares / n - (sum / n) ** 2) < 30) continue;
      if (cornerness(data, width, left, top, side) < MIN_CORNERNESS) continue;
      const template = await sharp(file(TEMPLATE_SOURCE)).extract({ left, top, width: side, height: side }).png().toBuffer();
      if (!(await this.unique(template, left, top))) continue;
      const dx = this.random.pick([-1, 1]) * this.random.int(24, shift);
      const dy = this.random.pick([-1, 1]) * this.random.int(0, 16);
      const lookalike = await sharp(file(TEMPLATE_SOURCE)).extract({ left: left + dx, top: top + dy, width: side, height: side }).png().toBuffer();
      return { kind: 'photo', template, lookalike };
    }
  }

  /**
   * A drawn icon: a tinted square with seven small random shapes and two lines, redrawn until
   * its grey standard deviation is at least 30; its lookalike redraws the last three shapes.
   */
  private async drawnTemplate(): Promise<TemplateSource> {
    const colour = (): string => `rgb(${this.random.int(0, 255)},${this.random.int(0, 255)},${this.random.int(0, 255)})`;
    const shape = (): string => {
      const c = colour();
      const x = this.random.int(4, 60);
      const y = this.random.int(4, 60);
      switch (this.random.int(0, 3)) {
        case 0:
          return `<circle cx="${x}" cy="${y}" r="${this.random.int(3, 10)}" fill="${c}"/>`;
        case 1:
          return `<rect x="${x - 6}" y="${y - 5}" width="${this.random.int(5, 16)}" height="${this.random.int(4, 14)}" fill="${c}"/>`;
        case 2:
          return `<polygon points="${x},${y - 9} ${x + 8},${y + 6} ${x - 8},${y + 6}" fill="${c}"/>`;
        default:
          return `<line x1="${x}" y1="${y}" x2="${this.random.int(0, 64)}" y2="${this.random.int(0, 64)}" stroke="${c}" stroke-width="${this.random.int(2, 4)}"/>`;
      }
    };
    const render = (background: string, shapes: string[]): Promise<Buffer> =>
      sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="${background}"/>${shapes.join('')}</svg>`))
        .png()
        .toBuffer();
    for (;;) {
      const background = colour();
      const kept = Array.from({ length: 6 }, shape);
      const template = await render(background, [...kept, shape(), shape(), shape()]);
      const grey = await greyImage(template);
      let sum = 0;
      let squares = 0;
      for (const v of grey.data) {
        sum += v;
        squares += v * v;
      }
      const n = grey.data.length;
      if (Math.sqrt(squares / n - (sum / n) ** 2) < 30) continue;
      return { kind: 'drawn', template, lookalike: await render(background, [...kept, shape(), shape(), shape()]) };
    }
  }

  private async transform(input: Buffer, scale: number, turn: number): Promise<{ input: Buffer; width: number; height: number }> {
    const side = Math.round(TEMPLATE_SIDE * scale);
    const { data, info } = await sharp(await sharp(input).resize(side, side).png().toBuffer())
      .rotate(turn * 90)
      .png()
      .toBuffer({ resolveWithObject: true });
    return { input: data, width: info.width, height: info.height };
  }

  /** Random positions for boxes of these sizes, 8 px apart at least. */
  private place(sizes: Array<{ width: number; height: number }>): Box[] {
    const boxes: Box[] = [];
    for (const { width, height } of sizes) {
      for (;;) {
        const box = { x: this.random.int(0, WIDTH - width), y: this.random.int(0, HEIGHT - height), width, height };
        const clear = boxes.every((b) => box.x + width + 8 <= b.x || b.x + b.width + 8 <= box.x || box.y + height + 8 <= b.y || b.y + b.height + 8 <= box.y);
        if (clear) {
          boxes.push(box);
          break;
        }
      }
    }
    return boxes;
  }

  async scene(condition: Condition, instances: number, kind: 'photo' | 'drawn'): Promise<Scene> {
    const source = kind === 'photo' ? await this.photoTemplate() : await this.drawnTemplate();
    const background = await this.background(this.random.pick(BACKGROUNDS));
    const drawScale = (): number => this.random.between(condition.scale[0], condition.scale[1]);
    const drawTurn = (): number => (condition.turns ? this.random.int(0, 3) : 0);
    const pastes = [];
    for (let i = 0; i < instances; i++) pastes.push(await this.transform(source.template, drawScale(), drawTurn()));
    const decoyPastes = [];
    if (condition.decoys) {
      decoyPastes.push(await this.transform(source.lookalike, drawScale(), drawTurn()));
      decoyPastes.push(await this.transform(await sharp(source.template).flop().png().toBuffer(), drawScale(), drawTurn()));
    }
    const boxes = this.place([...pastes, ...decoyPastes]);
    // Compositing adds an alpha channel; the scene stays plain RGB.
    const { data: composed, info } = await sharp(background, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .composite([...pastes, ...decoyPastes].map((p, i) => ({ input: p.input, left: boxes[i].x, top: boxes[i].y })))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`scene has ${info.channels} channels, expected 3`);
    // Brightness and contrast change, then sensor-like noise, then a JPEG round trip.
    const gain = this.random.between(0.85, 1.15);
    const offset = this.random.between(-25, 25);
    for (let i = 0; i < composed.length; i++) {
      const v = gain * composed[i] + offset + (condition.noise > 0 ? condition.noise * this.random.gaussian() : 0);
      composed[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
    const jpeg = await sharp(composed, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .jpeg({ quality: this.random.int(60, 85) })
      .toBuffer();
    return { jpeg, template: source.template, templateKind: source.kind, truth: boxes.slice(0, instances), decoys: boxes.slice(instances) };
  }

  /** A square of the template photo's saw blade (lettering and hub) of any size, pasted once into a background, JPEG-recompressed. */
  async pastedPatch(side: number): Promise<{ jpeg: Buffer; template: Buffer; truth: Box }> {
    const template = await sharp(file(TEMPLATE_SOURCE)).extract({ left: 900, top: 900, width: side, height: side }).png().toBuffer();
    const [truth] = this.place([{ width: side, height: side }]);
    const jpeg = await sharp(await this.background(BACKGROUNDS[0]), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .composite([{ input: template, left: truth.x, top: truth.y }])
      .removeAlpha()
      .jpeg({ quality: 75 })
      .toBuffer();
    return { jpeg, template, truth };
  }
}
