// Boots the throwaway Vendure server. Jobs (search index updates, ...) run in this same process:
// a separate worker would open a second SQLite connection and meet "database is locked".
const fs = require('fs');
const path = require('path');
const { bootstrap, JobQueueService } = require('@vendure/core');
const { populateInitialData } = require('@vendure/core/cli');
const { config, initialData } = require('./vendure-config');

(async () => {
  const started = Date.now();
  const dbFile = process.env.VENDURE_DB;
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const firstRun = !fs.existsSync(dbFile);
  const app = await bootstrap(config);
  if (firstRun) {
    await populateInitialData(app, initialData);
  }
  await app.get(JobQueueService).start();
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`VENDURE_READY after ${Date.now() - started} ms`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
