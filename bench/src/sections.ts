import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Puts `section` (which starts with its own "## " heading) into the markdown file in place of
 * the section with that heading, leaving every other section as it is; a new section goes
 * before "## How to run", or at the end.
 */
export function replaceSection(file: string, section: string): void {
  const heading = section.split('\n', 1)[0];
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  const body = section.trimEnd().split('\n');
  if (start >= 0) {
    let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
    if (end < 0) end = lines.length;
    lines.splice(start, end - start, ...body, '');
  } else {
    const before = lines.indexOf('## How to run');
    if (before >= 0) lines.splice(before, 0, ...body, '');
    else lines.push(...(lines[lines.length - 1] === '' ? [] : ['']), ...body, '');
  }
  writeFileSync(file, lines.join('\n').replace(/\n+$/, '\n'));
}

/** The "## " sections of a markdown text, heading line first. */
function sectionsOf(text: string): string[] {
  const sections: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) sections.push(line);
    else if (sections.length > 0) sections[sections.length - 1] += `\n${line}`;
  }
  return sections;
}

/**
 * Writes `markdown` as the whole of `file`, except that sections of the old
 * file that `markdown` has no heading for (another bench's) are kept.
 */
export function writeKeepingOthers(file: string, markdown: string): void {
  const others = existsSync(file) ? sectionsOf(readFileSync(file, 'utf8')) : [];
  const headings = new Set(sectionsOf(markdown).map((section) => section.split('\n', 1)[0]));
  writeFileSync(file, markdown);
  for (const section of others) if (!headings.has(section.split('\n', 1)[0])) replaceSection(file, section);
}
