/** The only source of "now". Services receive a Clock so tests can fix or move time. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that stays where it is put; `advance` moves it forward. For tests and replays. */
export function fixedClock(at: Date | string = '2026-01-01T00:00:00Z') {
  let current = new Date(at)
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current = new Date(current.getTime() + ms)
    },
    set(to: Date | string) {
      current = new Date(to)
    },
  }
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000)
}
