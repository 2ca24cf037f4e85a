/**
 * Writes LOG_LINES lines of about 300 bytes through the default log destination to stdout, tagged
 * with LOG_WRITER, pausing now and then, then closes the log. Several of these share one pipe in
 * test/core/log-destination.test.ts.
 */
import { closeLog, createLogger, logDestination } from '../../../src/log.ts';

const logger = createLogger({ destination: logDestination(1) });
const lines = Number(process.env.LOG_LINES ?? 5000);
for (let i = 0; i < lines; i++) {
  logger.info({ i, writer: process.env.LOG_WRITER, pad: 'x'.repeat(200) }, 'line');
  if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
}
await closeLog(logger);
