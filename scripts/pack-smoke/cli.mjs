// The installed `ebm` bin: help, and a bad flag gives one line and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = join(process.cwd(), 'node_modules', '.bin', 'ebm');
const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
if (help.status !== 0 || !help.stdout.includes('train')) throw new Error(`--help: ${help.stderr}`);
const bad = spawnSync(bin, ['train', 'mnist', '--epochs', 'zero'], { encoding: 'utf8' });
if (bad.status === 0 || !/epochs/.test(bad.stderr))
  throw new Error(`bad flag accepted: ${bad.stderr}`);
console.log(`ebm --help ok; bad flag -> exit ${bad.status}: ${bad.stderr.trim().split('\n')[0]}`);
