export { buildHttp, type AppDeps, type ModuleRoutes, type HttpOptions } from './app.js'
export { sendWrite, idempotentWrite, changeConfiguration, idempotencyKeyOf, requireIdempotencyKey, type IdempotencyTables } from './idempotency.js'
export { PageQuery, pageOf, encodeCursor, decodeCursor, decodeIdCursor, decodeTimeCursor, toPage, type Page } from './pagination.js'
