// Renders www/icons/icon.svg to the PNG icons the web app manifest lists (192 and 512 px),
// with the same Debian Chromium the tests use. Run after editing the SVG:  node make_icons.mjs
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './helpers.mjs';

const icons = fileURLToPath(new URL('../../www/icons/', import.meta.url));
const svg = await readFile(icons + 'icon.svg', 'utf8');
const browser = await launchBrowser();
try {
  for (const size of [192, 512]) {
    const page = await browser.newPage();
    await page.setViewportSize({ width: size, height: size });
    const body = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<body style="margin:0;background:transparent">${body}</body>`);
    await writeFile(`${icons}icon-${size}.png`, await page.screenshot({ omitBackground: true }));
    await page.close();
  }
} finally {
  await browser.close();
}
