// Configuration of the throwaway Medusa server started by ../medusa-start.sh: the Admin REST API only
// (the dashboard is not built), a private PostgreSQL cluster, secrets that only ever guard test data.
import { defineConfig } from "@medusajs/framework/utils"

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    databaseDriverOptions: { ssl: false, sslmode: "disable" },
    http: {
      storeCors: "http://127.0.0.1",
      adminCors: "http://127.0.0.1",
      authCors: "http://127.0.0.1",
      jwtSecret: "storeshift-throwaway-jwt-secret",
      cookieSecret: "storeshift-throwaway-cookie-secret",
    },
  },
  admin: { disable: true },
})
