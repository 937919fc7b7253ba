/** Entry point of the `qingliu` program (bin/qingliu.js loads it). */
import { runCli } from './index.js';

process.exitCode = await runCli(process.argv.slice(2));
