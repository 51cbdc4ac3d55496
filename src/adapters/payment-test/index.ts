export { testPaymentProvider, type TestProviderSettings } from './client.js'
export { startProviderServer, type ProviderServer, type ProviderServerOptions } from './server.js'
export { signPayload, checkSignature } from './signature.js'
