import { performance } from 'node:perf_hooks'

export type ProgressOutput = {
  write(text: string): unknown
  isTTY?: boolean | undefined
  columns?: number | undefined
}

export type Progress = {
  /** Counts `n` more units done. */
  advance(n: number): void
  /** Prints the final figures (always, even when nothing was printed before). */
  finish(): void
}

export type ProgressOptions = {
  label: string
  total: number
  unit?: string
  out?: ProgressOutput
  /** Milliseconds since some origin; injectable so rendering can be tested without waiting. */
  now?: () => number
  /** Plain mode: print a line at most this often. */
  plainEveryMs?: number
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 })

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** `45% 12,345/27,000 rows 3,400 rows/s ETA 4s`: the figures both modes print. */
export function describeProgress(
  done: number,
  total: number,
  elapsedMs: number,
  unit: string,
): string {
  const percent = total > 0 ? Math.floor((done / total) * 100) : 100
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0
  const eta = done >= total ? 0 : rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY
  return (
    `${percent}% ${integer.format(done)}/${integer.format(total)} ${unit} ` +
    `${integer.format(rate)} ${unit}/s ETA ${formatDuration(eta)}`
  )
}

/**
 * Reports a long task on stderr. On a terminal it redraws one line with a bar (at most ten times
 * a second, so drawing never slows the work); elsewhere (a log file, CI) it prints a plain line
 * every few seconds, and a last line when the task ends, so logs stay readable.
 */
export function startProgress(options: ProgressOptions): Progress {
  const out = options.out ?? process.stderr
  const now = options.now ?? (() => performance.now())
  const unit = options.unit ?? 'rows'
  const tty = out.isTTY === true
  const every = tty ? 100 : (options.plainEveryMs ?? 2000)
  const started = now()
  let done = 0
  let lastDraw = started

  const draw = (final: boolean) => {
    const figures = describeProgress(done, options.total, now() - started, unit)
    if (!tty) {
      out.write(`${options.label}: ${figures}\n`)
      return
    }
    const width = Math.max(
      10,
      Math.min(30, (out.columns ?? 80) - figures.length - options.label.length - 6),
    )
    const filled =
      options.total > 0
        ? Math.round((Math.min(done, options.total) / options.total) * width)
        : width
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    out.write(`\r\x1b[2K${options.label} ${bar} ${figures}${final ? '\n' : ''}`)
  }

  return {
    advance(n) {
      done += n
      const t = now()
      if (t - lastDraw >= every && done < options.total) {
        lastDraw = t
        draw(false)
      }
    },
    finish() {
      draw(true)
    },
  }
}
