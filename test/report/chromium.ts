/**
 * Headless Chromium for the report tests (Debian's `chromium`, driven by playwright-core): one
 * launcher, a page opener that blocks the network and collects console errors, page errors and
 * requests, and the count of marks each chart drew. Not a test file itself: shared by the
 * browser tests.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches Chromium, or fails with how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the report browser tests need Chromium at ${CHROMIUM}, which is missing: install it with ` +
        '`apt-get install chromium` (Debian; .ci/run does this in CI)',
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface Opened {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors, and any request other than the report file itself. */
  problems: string[];
}

/** Opens a report file with every other request blocked and recorded. */
export async function openReport(
  browser: Browser,
  file: string,
  javaScriptEnabled = true,
  viewport = { width: 1280, height: 900 },
): Promise<Opened> {
  const context = await browser.newContext({ viewport, javaScriptEnabled });
  const url = pathToFileURL(file).href;
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    problems.push(`blocked request: ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, problems };
}

/** Per figure: its chart id and how many data marks it drew (non-empty paths, circles, rects). */
export async function chartMarks(page: Page): Promise<{ id: string; svg: boolean; marks: number }[]> {
  return page.$$eval('figure.chart', (figs) =>
    figs.map((f) => {
      const svg = f.querySelector('.plot > svg');
      const drawn = Array.from(svg?.querySelectorAll('.mark') ?? []).filter((m) => {
        if (m.tagName === 'path') return (m.getAttribute('d') ?? '').length > 2;
        if (m.tagName === 'circle') return Number(m.getAttribute('r')) > 0;
        if (m.tagName === 'rect') return Number(m.getAttribute('width')) > 0;
        return false;
      });
      return { id: (f as HTMLElement).dataset['chart'] ?? '', svg: svg !== null, marks: drawn.length };
    }),
  );
}
