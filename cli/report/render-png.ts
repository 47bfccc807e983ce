/**
 * Manual check that a report's charts are drawn: renders an `ssl report` HTML file to a PNG with
 * headless Chromium (`npm run report:png -- report.html [report.png]`). Not a test: Chromium is
 * not a dependency of ssl and CI need not have it (Debian: `apt-get install chromium`).
 *
 * Chromium is looked for as $CHROMIUM, then chromium, chromium-browser, google-chrome on PATH.
 * Exit codes: 0 written, 2 bad usage or no Chromium, 1 Chromium failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CHROMIUM) return env.CHROMIUM;
  for (const name of CANDIDATES) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

function main(argv: string[]): number {
  const [html, png = html?.replace(/\.html?$/i, '') + '.png', width = '1400', height = '2200'] = argv;
  if (!html || !existsSync(html)) {
    process.stderr.write(`usage: npm run report:png -- REPORT.html [OUT.png] [WIDTH] [HEIGHT]${html ? `\nno such file: ${html}` : ''}\n`);
    return 2;
  }
  const chromium = findChromium();
  if (!chromium) {
    process.stderr.write('report:png: no Chromium found (set $CHROMIUM, or install it: apt-get install chromium)\n');
    return 2;
  }
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${resolve(png)}`, `--window-size=${width},${height}`, pathToFileURL(resolve(html)).href];
  const run = spawnSync(chromium, args, { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0 || !existsSync(png)) {
    process.stderr.write(`report:png: ${chromium} failed (exit ${run.status}):\n${run.stderr}\n`);
    return 1;
  }
  process.stdout.write(`wrote ${png} (${Math.round(statSync(png).size / 1024)} KiB, ${width}x${height})\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
