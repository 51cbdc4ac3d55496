import type { ModuleRoutes } from '../../kernel/http/index.js'

export const catalogRoutes: ModuleRoutes = async () => {}
