#!/usr/bin/env node
// Phone-viewport screenshots of the ready page in Korean and English, in the three tested engines,
// into docs/screens/{chromium,firefox,webkit}-{ko,en}.png, with a layout check per shot: no horizontal
// scrolling, tap targets (buttons, the file picker) at least 44 CSS px high, body text at least 14 px.
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

/** Runs in the page: the layout facts the issue asks for. */
function layoutFacts() {
  const doc = document.documentElement;
  const targets = [...document.querySelectorAll('button, label.drop, a[href]')].filter((e) => e.offsetParent !== null);
  const small = targets
    .map((e) => ({ e, r: e.getBoundingClientRect() }))
    .filter(({ r }) => r.height < 44 || r.width < 44)
    .map(({ e, r }) => `${e.dataset.testid || e.className || e.tagName.toLowerCase()} ${Math.round(r.width)}×${Math.round(r.height)}`);
  // Grouped: "gal-play 26×26 ×22" rather than 22 entries; links by tag with their smallest height.
  const groups = new Map();
  for (const x of small) {
    const key = x.startsWith('a ') ? `links (min height ${Math.min(...small.filter((y) => y.startsWith('a ')).map((y) => Number(y.split('×').at(-1))))} px)` : x;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const fonts = [...document.querySelectorAll('p, li, button, span')]
    .filter((e) => e.offsetParent !== null && e.textContent.trim())
    .map((e) => parseFloat(getComputedStyle(e).fontSize));
  return {
    lang: doc.lang,
    viewport: innerWidth,
    scrollWidth: doc.scrollWidth,
    horizontalScroll: doc.scrollWidth > innerWidth,
    tapTargets: targets.length,
    smallTapTargets: [...groups].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)),
    minFontPx: Math.min(...fonts),
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
  console.log('| shot | viewport px | horizontal scroll | tap targets < 44 px | smallest text px |\n|---|---:|---|---|---:|');
  for (const [name, r] of Object.entries(report))
    console.log(`| ${name} | ${r.viewport} | ${r.horizontalScroll ? `yes (${r.scrollWidth})` : 'no'} | ${r.smallTapTargets.join('; ') || 'none'} | ${r.minFontPx} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
