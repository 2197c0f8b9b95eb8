/** A fenced ```sh block of a Markdown runbook, with the nearest heading above it. */
export interface ShellBlock {
  heading: string;
  script: string;
}

/**
 * The ```sh blocks of a Markdown text, in document order. Runbook tests run exactly
 * these, so the document and its test cannot drift apart.
 */
export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  let heading = '';
  let current: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (current !== undefined) {
      if (line.startsWith('```')) {
        blocks.push({ heading, script: current.join('\n') });
        current = undefined;
      } else {
        current.push(line);
      }
      continue;
    }
    const h = /^#{2,3} (.+)$/.exec(line);
    if (h) heading = h[1] as string;
    else if (line === '```sh') current = [];
  }
  if (current !== undefined) throw new Error(`unterminated sh block under "${heading}"`);
  return blocks;
}
