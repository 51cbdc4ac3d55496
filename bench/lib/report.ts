import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

export const resultsDir = new URL('../results/', import.meta.url).pathname

export function machine() {
  const cpus = os.cpus()
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

/**
 * CPU time the whole machine has spent busy since boot, in ms summed over its cores: every
 * process counts (server, database, load generator). The difference across a run, divided by
 * the work done, is a cost per unit that moves far less with a busy or slow machine than a rate.
 */
export function machineBusyMs(): number {
  return os.cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0)
}

/** A figure set against what we aim for; a miss is reported, never a failure. */
export type Check = { name: string; value: number; unit: string; target: string; met: boolean | null }

export function stamp(date = new Date()): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '')
}

export function writeResult(engine: string, result: object): string {
  mkdirSync(resultsDir, { recursive: true })
  const path = join(resultsDir, `${engine}-${stamp()}.json`)
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`)
  return path
}

const round = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100) : NaN)

export function printTable(title: string, checks: readonly Check[]): void {
  const rows = checks.map((c) => [c.name, `${round(c.value)} ${c.unit}`, c.target || '—', c.met === null ? '' : c.met ? 'met' : 'MISSED'])
  const head = ['measure', 'value', 'target', '']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  process.stdout.write(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`)
  for (const r of rows) process.stdout.write(`${line(r)}\n`)
}

export type ChartGroup = { label: string; bars: { label: string; value: number }[]; note?: string }

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** A plain horizontal bar chart, one group per engine, written by hand (no dependencies). */
export function writeBarChart(path: string, title: string, unit: string, groups: readonly ChartGroup[]): void {
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)))
  const labelWidth = 230
  const barWidth = 420
  const rowHeight = 22
  const colors = ['#2b6cb0', '#90cdf4', '#c05621', '#fbd38d']
  let y = 44
  const parts: string[] = []
  for (const group of groups) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escape(group.label)}</text>`)
    y += 8
    group.bars.forEach((bar, i) => {
      const w = Math.max(1, (bar.value / max) * barWidth)
      parts.push(
        `<text x="20" y="${y + 15}">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${colors[i % colors.length]}"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}">${Math.round(bar.value)} ${escape(unit)}</text>`,
      )
      y += rowHeight
    })
    if (group.note) {
      parts.push(`<text x="20" y="${y + 14}" fill="#555">${escape(group.note)}</text>`)
      y += rowHeight
    }
    y += 18
  }
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 110}" height="${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(path, `${svg}\n`)
}
