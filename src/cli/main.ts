/**
 * The `tabserve` command line. Each command lives in its own file; this one dispatches and turns
 * argument errors into one line on stderr and exit code 2.
 */
import { bench } from './bench.ts';
import { check } from './check.ts';
import { makeTestModel } from './make_test_model.ts';
import { generate } from './generate.ts';
import { serve } from './serve.ts';
import { detokenize, tokenize } from './tokenize.ts';
import { USAGE, UsageError } from './usage.ts';
import { TestModelOptionError } from '../model/test_model.ts';

/** A command returns its exit code (void: 0). */
const COMMANDS: Record<string, (argv: string[]) => Promise<number | void>> = {
  'make-test-model': makeTestModel,
  generate,
  serve,
  tokenize,
  detokenize,
  bench,
  check,
};

/** An error caused by how the command was called (exit code 2). */
function isUsageError(e: unknown): e is Error {
  if (e instanceof TestModelOptionError || e instanceof UsageError) return true;
  // node:util parseArgs errors: unknown option, missing value, ...
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`tabserve: unknown command '${command}' (try 'tabserve help')`);
    return 2;
  }
  try {
    return (await run(rest)) ?? 0;
  } catch (e) {
    if (isUsageError(e)) {
      console.error(`tabserve ${command}: ${e.message}`);
      return 2;
    }
    console.error(`tabserve ${command}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
