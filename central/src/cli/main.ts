import { isGridlinkError } from '@gridlink/shared';
import { fail } from './config-file.js';
import { runCentral } from './run-central.js';
import { runTokenCommand } from './token-command.js';

const argv = process.argv.slice(2);
(argv[0] === 'token' ? runTokenCommand(argv.slice(1)) : runCentral(argv)).catch((err) => {
  fail(
    1,
    isGridlinkError(err)
      ? `${err.code}: ${err.message}`
      : `GL_INTERNAL: ${(err as Error).stack ?? err}`,
  );
});
