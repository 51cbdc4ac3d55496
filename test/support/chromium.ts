import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

/**
 * The Chromium the browser suites drive: CHROMIUM_PATH, else Debian's package (installed by
 * scripts/install-system-packages.sh). Undefined when neither exists; under CI=true that is a
 * failure, never a silent skip.
 */
export const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
)

if (process.env.CI === 'true' && !chromiumPath) {
  throw new Error('CI=true but no Chromium was found: scripts/install-system-packages.sh installs it')
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  // Root (as in CI containers) cannot use Chromium's user-namespace sandbox.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] })
}
