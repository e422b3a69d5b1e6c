/** Reading the Prometheus text exposition format (for tests and tools that scrape /metrics). */

/**
 * The value of one sample in `text`: `series` is the metric name with its labels exactly as
 * exposed (`name{a="x",b="y"}`, or the bare name without labels). Undefined when absent.
 */
export function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1).split(' ')[0]);
}
