export { catalogRoutes } from './routes.js'
export { catalogMigrations } from './migrations/index.js'
