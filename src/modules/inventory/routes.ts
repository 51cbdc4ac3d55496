import type { ModuleRoutes } from '../../kernel/http/index.js'

export const inventoryRoutes: ModuleRoutes = async () => {}
