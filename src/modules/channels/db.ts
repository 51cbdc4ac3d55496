import type { Selectable } from 'kysely'
import type { ChannelKind } from '../../kernel/auth/index.js'

export type ChannelTable = {
  id: string
  code: string
  name: string
  kind: ChannelKind
  location: string | null
  // Location codes this channel may sell stock from; null = the default for its kind.
  sells_from: string[] | null
  created_at: Date
  updated_at: Date
}

export type ChannelRow = Selectable<ChannelTable>

export type ChannelsTables = { 'channels.channel': ChannelTable }
