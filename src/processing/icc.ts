/**
 * The profile description ('desc' tag) of an ICC profile, as colour pickers
 * show it ("Display P3", "sRGB IEC61966-2.1"). Version 2 profiles store it as
 * textDescriptionType, version 4 ones as multiLocalizedUnicodeType; the type
 * signature decides, since some v2 profiles use 'mluc' too. Null when the
 * profile has no readable description: a damaged profile is no reason to
 * refuse the image.
 */
export function iccDescription(profile: Buffer): string | null {
  const tag = findTag(profile, 'desc');
  if (!tag) return null;
  const type = tag.toString('latin1', 0, 4);
  const text = type === 'desc' ? textDescription(tag) : type === 'mluc' ? multiLocalized(tag) : null;
  const cleaned = text?.replace(/\0+$/, '').trim();
  return cleaned ? cleaned : null;
}

const HEADER_BYTES = 128;
const TAG_ENTRY_BYTES = 12;

/** The colour space an ICC profile describes ('RGB', 'CMYK', 'GRAY', …), from its header; null when it has none. */
export function iccColourSpace(profile: Buffer): string | null {
  return profile.length < HEADER_BYTES ? null : profile.toString('latin1', 16, 20).trim();
}

/** The bytes of one tag, or null when absent or pointing outside the profile. */
function findTag(profile: Buffer, signature: string): Buffer | null {
  if (profile.length < HEADER_BYTES + 4) return null;
  const count = profile.readUInt32BE(HEADER_BYTES);
  for (let i = 0; i < count; i++) {
    const entry = HEADER_BYTES + 4 + i * TAG_ENTRY_BYTES;
    if (entry + TAG_ENTRY_BYTES > profile.length) return null;
    if (profile.toString('latin1', entry, entry + 4) !== signature) continue;
    const offset = profile.readUInt32BE(entry + 4);
    const size = profile.readUInt32BE(entry + 8);
    if (size < 12 || offset + size > profile.length) return null;
    return profile.subarray(offset, offset + size);
  }
  return null;
}

/** textDescriptionType: an ASCII description, then the same in UTF-16BE (used when the ASCII one is empty). */
function textDescription(tag: Buffer): string | null {
  const asciiCount = tag.readUInt32BE(8);
  const asciiEnd = 12 + asciiCount;
  if (asciiEnd > tag.length) return null;
  const ascii = tag.toString('latin1', 12, asciiEnd).replace(/\0.*$/s, '');
  if (ascii.trim()) return ascii;
  // Unicode language code (4 bytes), then the count of UTF-16 code units.
  if (asciiEnd + 8 > tag.length) return null;
  const units = tag.readUInt32BE(asciiEnd + 4);
  const start = asciiEnd + 8;
  if (start + units * 2 > tag.length) return null;
  return utf16be(tag.subarray(start, start + units * 2));
}

/** multiLocalizedUnicodeType: UTF-16BE records by language; English (US first) if present, else the first. */
function multiLocalized(tag: Buffer): string | null {
  if (tag.length < 16) return null;
  const records = tag.readUInt32BE(8);
  const recordSize = tag.readUInt32BE(12);
  if (recordSize < 12) return null;
  const texts: Array<{ locale: string; text: string }> = [];
  for (let i = 0; i < records; i++) {
    const record = 16 + i * recordSize;
    if (record + 12 > tag.length) break;
    const length = tag.readUInt32BE(record + 4);
    const offset = tag.readUInt32BE(record + 8);
    if (offset + length > tag.length) continue;
    texts.push({ locale: tag.toString('latin1', record, record + 4), text: utf16be(tag.subarray(offset, offset + length)) });
  }
  const chosen = texts.find((t) => t.locale === 'enUS') ?? texts.find((t) => t.locale.startsWith('en')) ?? texts[0];
  return chosen?.text ?? null;
}

function utf16be(bytes: Buffer): string {
  const even = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return even.swap16().toString('utf16le');
}
