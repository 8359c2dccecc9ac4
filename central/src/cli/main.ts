import { isGridlinkError } from '@gridlink/shared';
import { runBackupCommand } from './backup-command.js';
import { fail } from './config-file.js';
import { runImportCommand } from './import-command.js';
import { runCentral } from './run-central.js';
import { runTokenCommand } from './token-command.js';

const argv = process.argv.slice(2);
(argv[0] === 'token'
  ? runTokenCommand(argv.slice(1))
  : argv[0] === 'backup' || argv[0] === 'restore'
    ? runBackupCommand(argv[0], argv.slice(1))
    : argv[0] === 'import-stations'
      ? runImportCommand(argv.slice(1))
      : runCentral(argv)
).catch((err) => {
  fail(
    1,
    isGridlinkError(err)
      ? `${err.code}: ${err.message}`
      : `GL_INTERNAL: ${(err as Error).stack ?? err}`,
  );
});
