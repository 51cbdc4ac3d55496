import { runEventsBench } from './events.js'
import { runInventoryBench } from './inventory.js'
import { runOrdersBench } from './orders.js'
import { runSegmentsBench } from './segments.js'

/**
 * Every benchmark, one after the other (`npm run bench`). Each prints its table and stores its
 * figures under bench/results/; none fails on speed, only on a broken setup.
 */
const benchmarks: { name: string; run: () => Promise<unknown> }[] = [
  { name: 'inventory', run: runInventoryBench },
  { name: 'orders', run: runOrdersBench },
  { name: 'events', run: runEventsBench },
  { name: 'segments', run: runSegmentsBench },
]

const started = performance.now()
for (const bench of benchmarks) {
  process.stdout.write(`\n=== ${bench.name} ===\n`)
  await bench.run()
}
process.stdout.write(`\nAll benchmarks done in ${Math.round((performance.now() - started) / 1000)} s\n`)
// Keep-alive sockets and pools may linger; the figures are written, so end here.
process.exit(0)
