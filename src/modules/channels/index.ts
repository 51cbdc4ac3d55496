export { channelRoutes } from './routes.js'
export { channelMigrations } from './migrations/index.js'
export {
  assertChannelsExist,
  createChannel,
  findChannel,
  issueTouchpointKey,
  listChannels,
  sellingLocations,
  shipmentOrigins,
  sellingMap,
  type SellingMap,
} from './service.js'
export type { ChannelsTables } from './db.js'
export type { ChannelView, CreateChannelBody } from './schema.js'
