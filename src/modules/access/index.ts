export { accessRoutes } from './routes.js'
