// Assembles a mock site (page + mock sori.js + placeholder model/index) in a temp dir, for
// developing the page before the wasm build exists:  node mock/build.mjs [outDir]
// Prints the dir; run the tests with SORI_DIST=<dir>. The placeholders are NOT real data.
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from '../helpers.mjs';

const out = process.argv[2] ?? '/tmp/sori-mock-dist';
await mkdir(join(out, 'model'), { recursive: true });
await cp(join(REPO, 'www'), join(out, 'www'), { recursive: true });
await cp(join(REPO, 'index.html'), join(out, 'index.html'));
await cp(join(REPO, 'www/sw.js'), join(out, 'sw.js'));
await cp(join(REPO, 'www/manifest.webmanifest'), join(out, 'manifest.webmanifest'));
const rows = (await readFile(join(REPO, 'assets/classes.tsv'), 'utf8')).trim().split('\n').slice(1);
const cov = ['trained', 'trained', 'zero_shot', 'none'];
const classes = rows.map((r, i) => {
  const [id, slug, category, categoryKo, nameKo, nameEn] = r.split('\t');
  return { id: Number(id), slug, category, categoryKo, nameKo, nameEn, coverage: cov[i % 4], clips: (i * 7) % 30 };
});
const images = {};
const imgDir = join(REPO, '../shared/images');
for (const f of await readdir(imgDir).catch(() => []))
  if (f.endsWith('.svg')) images[f.slice(0, -4)] = await readFile(join(imgDir, f), 'utf8');
const src = (await readFile(new URL('./sori.js', import.meta.url), 'utf8'))
  .replace('__CLASSES__', JSON.stringify(classes))
  .replace('__IMAGES__', JSON.stringify(images));
await writeFile(join(out, 'sori.js'), src);
await writeFile(join(out, 'sori_bg.wasm'), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]));
await writeFile(join(out, 'model/mn04.sorim'), 'MOCK-MODEL');
await writeFile(join(out, 'default.idx'), 'MOCK-INDEX');
console.log(out);
