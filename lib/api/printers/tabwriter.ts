/**
 * A port of the column algorithm of Go's `text/tabwriter` (space padding, no flags), which
 * kubectl uses for both `get` tables and `describe` text. Cells are tab-terminated; the text
 * after the last tab of a line is not part of any column. A column block is a run of consecutive
 * lines that all have a cell in that column; each block is as wide as its widest cell plus
 * padding, and never narrower than `minWidth`.
 */

/** Tabwriter settings. */
export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

/** kubectl get: `tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)`. */
export const GET_TABWRITER: TabwriterOptions = { minWidth: 6, padding: 3 };
/** kubectl describe: `tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`. */
export const DESCRIBE_TABWRITER: TabwriterOptions = { minWidth: 0, padding: 2 };

/** Display width of a cell, counted in code points as Go counts runes. */
function cellWidth(s: string): number {
  return Array.from(s).length;
}

/** Aligns tab-separated `text` into space-padded columns. */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const line = lines[i];
      for (let j = 0; j < line.length; j++) {
        out.push(line[j]);
        if (j < widths.length) out.push(' '.repeat(Math.max(0, widths[j] - cellWidth(line[j]))));
      }
      if (i + 1 < lines.length) out.push('\n');
    }
  };

  const format = (line0: number, line1: number): void => {
    const col = widths.length;
    for (let th = line0; th < line1; th++) {
      if (col >= lines[th].length - 1) continue;
      // A cell in this column: a block starts here.
      writeLines(line0, th);
      line0 = th;
      let width = opts.minWidth;
      for (; th < line1; th++) {
        const line = lines[th];
        if (col >= line.length - 1) break;
        width = Math.max(width, cellWidth(line[col]) + opts.padding);
      }
      widths.push(width);
      format(line0, th);
      widths.pop();
      line0 = th;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('');
}
