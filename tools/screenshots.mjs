#!/usr/bin/env node
// Phone-viewport screenshots of the ready page in Korean and English, in the three tested engines,
// into docs/screens/{chromium,firefox,webkit}-{ko,en}.png, with a layout check per shot: no horizontal
// scrolling, every visible tap target (buttons, labels, links, selects, text inputs) at least 44×44 CSS px,
// no visible text under 12 px. Exits non-zero (after writing every shot and printing the table) when any
// shot fails one of these.
//
//   xvfb-run -a flock /tmp/sori-heavy.lock node tools/screenshots.mjs      (after trunk build --release)
//
// 390×844 CSS px at device-pixel ratio 1 in Chromium. Firefox and WebKit windows cannot be made that
// narrow (headless Firefox stops at 500 px, MiniBrowser at about 447 px): their shots are at their
// narrowest, and the table says which width. Needs what tools/setup.sh --test installs; WebKitGTK needs
// the X display xvfb-run gives.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DIST, REPO, launchBrowser, startSite } from '../tests/e2e/helpers.mjs';
import { startDriver, openReady as openReadyWd, inPage } from '../tests/e2e/engines/drivers.mjs';

const W = 390;
const H = 844;
const OUT = join(REPO, 'docs/screens');
/** The smallest type the check accepts (CSS px). */
const MIN_FONT_PX = 12;

/** Runs in the page: the layout facts the issue asks for. */
function layoutFacts() {
  const doc = document.documentElement;
  const MIN_TAP = 44;
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const targets = [
    ...document.querySelectorAll("button, label, a[href], select, input:not([type='file']):not([type='checkbox']):not([type='radio'])"),
  ].filter(visible);
  // Sub-pixel layout (e.g. 43.99 px from rounding ems) counts as 44.
  const tooSmall = (r) => r.height < MIN_TAP - 0.05 || r.width < MIN_TAP - 0.05;
  const small = targets
    .map((e) => ({ e, r: e.getBoundingClientRect() }))
    .filter(({ r }) => tooSmall(r))
    .map(({ e, r }) => `${e.dataset.testid || e.className || e.tagName.toLowerCase()} ${Math.round(r.width)}×${Math.round(r.height)}`);
  // Grouped: "gal-play 26×26 ×22" rather than 22 entries; links by tag with their smallest height.
  const groups = new Map();
  for (const x of small) {
    const key = x.startsWith('a ') ? `links (min height ${Math.min(...small.filter((y) => y.startsWith('a ')).map((y) => Number(y.split('×').at(-1))))} px)` : x;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  // Every visible element that directly holds text (not only its children's).
  const texts = [...document.body.querySelectorAll('*')].filter(
    (e) => visible(e) && [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()),
  );
  const fonts = texts.map((e) => parseFloat(getComputedStyle(e).fontSize));
  const minFontPx = Math.min(...fonts);
  const smallest = texts.filter((e, i) => fonts[i] === minFontPx).map((e) => e.className || e.tagName.toLowerCase());
  return {
    lang: doc.lang,
    viewport: innerWidth,
    scrollWidth: doc.scrollWidth,
    horizontalScroll: doc.scrollWidth > innerWidth,
    tapTargets: targets.length,
    smallTapTargets: [...groups].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)),
    minFontPx,
    smallestText: [...new Set(smallest)].slice(0, 4),
  };
}

async function setLang(want, read, click) {
  if ((await read()) !== want) await click();
  if ((await read()) !== want) throw new Error(`could not switch to ${want}`);
}

async function main() {
  await mkdir(OUT, { recursive: true });
  const site = await startSite();
  const report = {};
  try {
    // Chromium (playwright-core).
    const ctx = await launchBrowser();
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.setViewportSize({ width: W, height: H });
      await page.goto(site.url);
      await page.waitForFunction(() => window.__sori?.state === 'ready');
      for (const lang of ['ko', 'en']) {
        await setLang(lang, () => page.evaluate(() => document.documentElement.lang), () => page.click('[data-testid=lang]'));
        await page.screenshot({ path: join(OUT, `chromium-${lang}.png`) });
        report[`chromium-${lang}`] = await page.evaluate(layoutFacts);
      }
    } finally {
      await ctx.close();
    }
    // Firefox and WebKit (WebDriver).
    for (const engine of ['firefox', 'webkit']) {
      const driver = await startDriver(engine);
      try {
        await driver.manage().window().setRect({ width: W, height: H });
        await openReadyWd(driver, site.url);
        const vw = await inPage(driver, () => innerWidth);
        if (vw !== W) await driver.manage().window().setRect({ width: W + (W - vw), height: H });
        for (const lang of ['ko', 'en']) {
          await setLang(
            lang,
            () => inPage(driver, () => document.documentElement.lang),
            () => inPage(driver, () => document.querySelector('[data-testid=lang]').click()),
          );
          await inPage(driver, () => window.scrollTo(0, 0));
          const png = await driver.takeScreenshot();
          await writeFile(join(OUT, `${engine}-${lang}.png`), Buffer.from(png, 'base64'));
          report[`${engine}-${lang}`] = await inPage(driver, layoutFacts);
        }
      } finally {
        await driver.quit();
      }
    }
  } finally {
    await site.close();
  }
  console.log(`site: ${DIST}\n`);
  console.log('| shot | viewport px | horizontal scroll | tap targets | smallest text px |\n|---|---:|---|---|---:|');
  for (const [name, r] of Object.entries(report))
    console.log(`| ${name} | ${r.viewport} | ${r.horizontalScroll ? `yes (${r.scrollWidth})` : 'no'} | ${r.tapTargets} checked; under 44 px: ${r.smallTapTargets.join('; ') || 'none'} | ${r.minFontPx} (${r.smallestText.join(', ')}) |`);
  const failed = Object.entries(report).flatMap(([name, r]) => problems(r).map((p) => `${name}: ${p}`));
  if (failed.length) {
    console.error(`\nLAYOUT CHECK FAILED:\n${failed.join('\n')}`);
    process.exitCode = 1;
  } else console.log(`\nlayout check passed: ${Object.keys(report).length} shots`);
}

/** The check's verdict on one shot: a list of problems (empty: passes). */
function problems(r) {
  const out = [];
  if (r.horizontalScroll) out.push(`horizontal scrolling (${r.scrollWidth} px content in ${r.viewport} px)`);
  if (r.smallTapTargets.length) out.push(`tap targets under 44 px: ${r.smallTapTargets.join('; ')}`);
  if (!(r.minFontPx >= MIN_FONT_PX)) out.push(`text under ${MIN_FONT_PX} px: ${r.minFontPx} px (${r.smallestText.join(', ')})`);
  if (r.tapTargets === 0) out.push('no tap targets found: the page did not render');
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
