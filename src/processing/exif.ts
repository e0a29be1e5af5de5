import readExif from 'exif-reader';

export interface ExifSummary {
  make: string | null;
  model: string | null;
  /** Local time as the camera recorded it, ISO 8601, with the offset when EXIF gives one. */
  takenAt: string | null;
  /** Whether the file carries a GPS position (latitude and longitude). */
  hasGps: boolean;
}

/**
 * The few EXIF facts people ask about, from the block sharp's metadata()
 * returns. Null when the block is unreadable: a damaged EXIF block is no
 * reason to refuse the image.
 */
export function summariseExif(block: Buffer): ExifSummary | null {
  let exif: ReturnType<typeof readExif>;
  try {
    exif = readExif(block);
  } catch {
    return null;
  }
  const gps = exif.GPSInfo;
  return {
    make: text(exif.Image?.Make),
    model: text(exif.Image?.Model),
    takenAt: localTime(exif.Photo?.DateTimeOriginal, exif.Photo?.OffsetTimeOriginal),
    hasGps: Array.isArray(gps?.GPSLatitude) && Array.isArray(gps?.GPSLongitude),
  };
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\0+$/, '').trim();
  return trimmed ? trimmed : null;
}

/**
 * exif-reader gives the camera's wall-clock time as if it were UTC. Cameras
 * that never had their clock set write 0000:00:00, which comes out before 1900.
 */
function localTime(date: unknown, offset: unknown): string | null {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1900) return null;
  const wallClock = date.toISOString().slice(0, 19);
  return typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset) ? wallClock + offset : wallClock;
}
