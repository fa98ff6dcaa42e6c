// Configuration of the throwaway Vendure server started by ../vendure-start.sh.
// Everything comes from the environment the start script sets; nothing here is meant for production.
const { DefaultSearchPlugin, dummyPaymentHandler, LanguageCode } = require('@vendure/core');

exports.config = {
  apiOptions: {
    hostname: '127.0.0.1',
    port: Number(process.env.VENDURE_PORT),
    adminApiPath: 'admin-api',
    shopApiPath: 'shop-api',
    adminApiPlayground: false,
    shopApiPlayground: false,
  },
  authOptions: {
    tokenMethod: ['bearer', 'cookie'],
    superadminCredentials: {
      identifier: process.env.VENDURE_ADMIN_EMAIL,
      password: process.env.VENDURE_ADMIN_PASSWORD,
    },
    cookieOptions: { secret: 'storeshift-throwaway-cookie-secret' },
  },
  // sql.js is SQLite compiled to WASM: no native module to build, one in-process connection.
  dbConnectionOptions: {
    type: 'sqljs',
    location: process.env.VENDURE_DB,
    autoSave: true,
    synchronize: true,
    logging: false,
  },
  paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
  // No job queue plugin: the in-memory queue, drained by this same process (see index.js).
  plugins: [DefaultSearchPlugin.init({ bufferUpdates: false, indexStockStatus: true })],
};

// A zone, countries and a tax rate, without which Vendure cannot price a variant.
exports.initialData = {
  defaultLanguage: LanguageCode.en,
  defaultZone: 'Europe',
  taxRates: [{ name: 'Standard Tax', percentage: 20 }],
  shippingMethods: [{ name: 'Standard Shipping', price: 500 }],
  paymentMethods: [
    {
      name: 'Dummy',
      handler: { code: dummyPaymentHandler.code, arguments: [{ name: 'automaticSettle', value: 'true' }] },
    },
  ],
  countries: [
    { name: 'United States of America', code: 'US', zone: 'Americas' },
    { name: 'United Kingdom', code: 'GB', zone: 'Europe' },
    { name: 'Germany', code: 'DE', zone: 'Europe' },
    { name: 'Turkey', code: 'TR', zone: 'Europe' },
  ],
  collections: [],
};
