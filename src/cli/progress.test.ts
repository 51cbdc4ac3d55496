import { describe, expect, it } from 'vitest'
import { describeProgress, formatDuration, startProgress } from './progress.js'

function sink(isTTY: boolean) {
  const written: string[] = []
  return { out: { isTTY, columns: 100, write: (text: string) => written.push(text) }, written }
}

describe('import progress', () => {
  it('gives percentage, rate and time left', () => {
    expect(describeProgress(2_500, 10_000, 1_000, 'rows')).toBe(
      '25% 2,500/10,000 rows 2,500 rows/s ETA 3s',
    )
    expect(describeProgress(10_000, 10_000, 4_000, 'rows')).toBe(
      '100% 10,000/10,000 rows 2,500 rows/s ETA 0s',
    )
    expect(formatDuration(125)).toBe('2m05s')
    expect(formatDuration(3_720)).toBe('1h02m')
  })

  it('prints plain lines every few seconds when not on a terminal, and always a last line', () => {
    let now = 0
    const { out, written } = sink(false)
    const progress = startProgress({
      label: 'importing',
      total: 3_000,
      out,
      now: () => now,
      plainEveryMs: 2_000,
    })
    for (let i = 0; i < 3; i++) {
      now += 1_000
      progress.advance(1_000)
    }
    progress.finish()
    expect(written).toEqual([
      'importing: 66% 2,000/3,000 rows 1,000 rows/s ETA 1s\n',
      'importing: 100% 3,000/3,000 rows 1,000 rows/s ETA 0s\n',
    ])
  })

  it('redraws one line with a bar on a terminal', () => {
    let now = 0
    const { out, written } = sink(true)
    const progress = startProgress({ label: 'importing', total: 4, out, now: () => now })
    now = 500
    progress.advance(2)
    progress.finish()
    expect(written[0]).toMatch(/^\r\x1b\[2Kimporting █+░+ 50% 2\/4 rows/)
    expect(written.at(-1)).toMatch(/ 50% 2\/4 rows 4 rows\/s ETA 1s\n$/)
    expect(written.every((w) => !w.slice(0, -1).includes('\n'))).toBe(true)
  })
})
