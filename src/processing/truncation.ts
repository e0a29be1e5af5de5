/**
 * Files cut short that their decoders take without a word: the structure of
 * the file is the only tell. Each check walks the blocks the format is made
 * of and answers true only when the data stops inside one; anything it does
 * not recognise is left for libvips to judge.
 */

/**
 * Whether an ISOBMFF file (AVIF, HEIC) ends inside one of its top-level boxes.
 * libheif decodes the tiles of a grid image that it has and fills the ones cut
 * off with a flat colour, without an error.
 */
export function endsInsideABox(data: Buffer): boolean {
  let offset = 0;
  while (offset + 8 <= data.length) {
    let size = data.readUInt32BE(offset);
    if (size === 0) return false; // The last box, running to the end of the file.
    if (size === 1) {
      // A 64-bit size follows the type.
      if (offset + 16 > data.length) return true;
      const large = data.readBigUInt64BE(offset + 8);
      if (large > BigInt(data.length - offset)) return true;
      size = Number(large);
    }
    if (size < 8) return false; // Not a box: libheif judges the rest.
    if (size > data.length - offset) return true;
    offset += size;
  }
  return false;
}

/** Bytes of a GIF colour table announced by a packed flags byte (none when its top bit is clear). */
function colourTableBytes(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0;
}

/**
 * Whether a GIF ends inside one of its blocks: a frame or extension cut off.
 * libvips decodes the frames that are whole and drops the rest silently. A
 * file that stops between blocks without the trailer (0x3B) passes, as many
 * encoders leave the trailer out and browsers show such files.
 */
export function endsInsideAGifBlock(data: Buffer): boolean {
  const HEADER = 13; // Signature, version and logical screen descriptor.
  if (data.length < HEADER) return true;
  let at = HEADER + colourTableBytes(data[10]);
  // A chain of sub-blocks, each a length byte and that many bytes, ended by a zero length.
  const subBlocksEnd = (): boolean => {
    for (;;) {
      if (at >= data.length) return false;
      const size = data[at];
      at += 1 + size;
      if (size === 0) return true;
      if (at > data.length) return false;
    }
  };
  while (at < data.length) {
    const introducer = data[at];
    if (introducer === 0x3b) return false; // The trailer: whatever follows is padding.
    if (introducer === 0x21) {
      at += 2; // Introducer and label.
      if (!subBlocksEnd()) return true;
    } else if (introducer === 0x2c) {
      const DESCRIPTOR = 10;
      if (at + DESCRIPTOR > data.length) return true;
      at += DESCRIPTOR + colourTableBytes(data[at + 9]) + 1; // The +1 is the LZW minimum code size.
      if (at > data.length || !subBlocksEnd()) return true;
    } else {
      return false;
    }
  }
  // Past the end here only when the global colour table itself was cut.
  return at > data.length;
}
