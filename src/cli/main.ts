/** Entry point of the `qingliu` program (bin/qingliu.js loads it). */
import { runCli } from './index.js';

// Output piped into a reader that stopped early (`qingliu experiments list | head -2`): the reader
// has what it wanted; end quietly, as other command-line tools do, instead of with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv.slice(2));
