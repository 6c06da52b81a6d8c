/**
 * `tabserve serve`: the OpenAI routes over HTTP in Node, with the model on WebGPU (Dawn). Listens at once
 * (503 + retry-after while the model loads) and prints one line per 10% of loading progress.
 */
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.ts';
import { openGpu } from '../gpu/device.ts';
import { nodeGpu } from '../gpu/node.ts';
import { fileSource } from '../gguf/node_source.ts';
import { ModelHost } from '../openai/host.ts';
import { startServer } from '../openai/node_server.ts';
import { UsageError } from './usage.ts';

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { model: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8000' }, id: { type: 'string' } },
  });
  if (!values.model) throw new UsageError('--model FILE.gguf is required');
  if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be 0..65535, got '${values.port}'`);
  const source = await fileSource(values.model);
  await Engine.inspect(source); // a bad file is reported before the GPU is touched
  const gpu = await openGpu(await nodeGpu());
  let shown = -1;
  const host = new ModelHost(gpu, source, values.id, {
    onProgress: ({ loadedBytes, totalBytes }) => {
      const tenth = Math.floor((10 * loadedBytes) / Math.max(1, totalBytes));
      if (tenth !== shown) console.error(`tabserve: loading ${values.model}: ${tenth * 10}%`);
      shown = tenth;
    },
  });
  const { server, url } = await startServer(host, { host: values.host, port: Number(values.port) });
  console.log(`tabserve: serving ${host.id} at ${url}/v1`);
  await host.loaded();
  const state = host.state;
  if (state.kind === 'failed') {
    console.error(`tabserve serve: ${state.error.message}`);
    server.close();
    return 1;
  }
  console.error(`tabserve: ${host.id} is ready`);
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  server.close();
  host.unload();
  gpu.device.destroy();
  return 0;
}
