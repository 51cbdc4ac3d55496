import { readFile } from 'node:fs/promises'

const sdkRoot = new URL('../../../sdk/', import.meta.url)

let bundle: Promise<string | null> | undefined

/**
 * The browser tracker as a classic script: sdk/dist/omnia.js when `npm run build:sdk` made it,
 * else bundled once in memory from sdk/src with esbuild (which tsx brings), so `npm start` serves
 * it with no build step. Null when neither is possible (an install without the sdk folder).
 */
export function browserSdk(): Promise<string | null> {
  bundle ??= readFile(new URL('dist/omnia.js', sdkRoot), 'utf8').catch(async () => {
    try {
      const { build } = await import('esbuild')
      const out = await build({
        entryPoints: [new URL('src/global.ts', sdkRoot).pathname],
        bundle: true,
        minify: true,
        format: 'iife',
        target: 'es2019',
        write: false,
      })
      return out.outputFiles[0]!.text
    } catch {
      return null
    }
  })
  return bundle
}
