import type { ModuleRoutes } from '../../kernel/http/index.js'

export const pricingRoutes: ModuleRoutes = async () => {}
