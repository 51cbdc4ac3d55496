import { mkdirSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'

/**
 * `npm run build:sdk`: the browser tracker as one minified file per format in sdk/dist —
 * omnia.js (a classic script defining `window.omnia`, what the server serves at /sdk/omnia.js)
 * and omnia.mjs (an ES module exporting `omnia` and `createClient`).
 */
const root = new URL('.', import.meta.url).pathname
const common = { bundle: true, minify: true, target: 'es2019', legalComments: 'none', write: false } as const

const [iife, esm] = await Promise.all([
  build({ ...common, entryPoints: [`${root}src/global.ts`], format: 'iife' }),
  build({ ...common, entryPoints: [`${root}src/index.ts`], format: 'esm' }),
])
mkdirSync(`${root}dist`, { recursive: true })
const files = { 'omnia.js': iife.outputFiles[0]!.text, 'omnia.mjs': esm.outputFiles[0]!.text }
for (const [name, text] of Object.entries(files)) {
  writeFileSync(`${root}dist/${name}`, text)
  process.stdout.write(`sdk/dist/${name}  ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB\n`)
}
