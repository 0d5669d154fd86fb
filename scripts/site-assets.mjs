// Finishes the site: content-hashed names, the hash list Leptos reads, and precompressed
// copies. Node built-ins only, so the compressor is Node's own zlib (the pinned Node 20):
// the same bytes on every machine, nothing more to install.
//
// Usage: node scripts/site-assets.mjs STAGE SITE
//   STAGE/pkg holds wasm-bindgen's stoa.js and stoa_bg.wasm and Tailwind's stoa.css;
//   SITE/pkg gets stoa.<hash>.js, stoa.<hash>.wasm, stoa.<hash>.css (and anything else in
//   STAGE/pkg, e.g. wasm-bindgen snippets, under its own name), each with .br and .gz next
//   to it; SITE/hash.txt lists the hashes ("js: …", "wasm: …", "css: …"), the format of
//   cargo-leptos that Leptos' HydrationScripts and HashedStylesheet read.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const [stage, site] = process.argv.slice(2);
if (!stage || !site) {
  console.error('usage: node scripts/site-assets.mjs STAGE SITE');
  process.exit(2);
}
const from = join(stage, 'pkg');
const to = join(site, 'pkg');
// Old names go: a file of another build is a 404, never stale bytes under a name that lies.
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });

const hashed = { js: ['stoa.js', 'js'], wasm: ['stoa_bg.wasm', 'wasm'], css: ['stoa.css', 'css'] };
const lines = [];
const written = [];
for (const [key, [name, ext]] of Object.entries(hashed)) {
  const bytes = readFileSync(join(from, name));
  // 16 hex digits (64 bits): collisions between two builds are not a concern.
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const out = join(to, `stoa.${hash}.${ext}`);
  writeFileSync(out, bytes);
  written.push(out);
  lines.push(`${key}: ${hash}`);
}
// The rest (wasm-bindgen snippets, if any) keeps its name.
const skip = new Set(Object.values(hashed).map(([name]) => name));
for (const entry of readdirSync(from)) {
  if (skip.has(entry)) continue;
  cpSync(join(from, entry), join(to, entry), { recursive: true });
  const walk = (p) => (statSync(p).isDirectory() ? readdirSync(p).forEach((e) => walk(join(p, e))) : written.push(p));
  walk(join(to, entry));
}
writeFileSync(join(site, 'hash.txt'), `${lines.join('\n')}\n`);

// Brotli at its best quality and gzip at 9, once per build instead of per request.
for (const file of written) {
  if (!/\.(js|mjs|wasm|css|json|svg)$/.test(file)) continue;
  const bytes = readFileSync(file);
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  console.log(`${relative(site, file)}: ${bytes.length} B, brotli ${br.length} B`);
}
