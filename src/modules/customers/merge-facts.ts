import type { OutboxEvent } from '../../kernel/outbox/index.js'

/** A merge or unmerge as other modules read it from the outbox. */
export type MergeFact = { kind: 'merged' | 'unmerged'; survivorId: string; loserId: string }

/** The outbox events naming merges, for modules that keep per-customer rows of their own. */
export const mergeFactNames = ['customer.merged', 'customer.unmerged'] as const

/** The merges and unmerges among `events`, in delivery order. */
export function mergeFactsOf(events: readonly OutboxEvent[]): MergeFact[] {
  return events.flatMap((e) => {
    if (e.name !== 'customer.merged' && e.name !== 'customer.unmerged') return []
    const { survivorId, loserId } = e.payload as { survivorId: string; loserId: string }
    return [{ kind: e.name === 'customer.merged' ? 'merged' : 'unmerged', survivorId, loserId } as const]
  })
}
