export { inventoryRoutes } from './routes.js'
export { inventoryMigrations } from './migrations/index.js'
export { inventoryTasks } from './tasks.js'
