// Two suites: `unit` (Node, no GPU; llama.cpp on the CPU as the model oracle) and `gpu` (real WebGPU in
// Node via Dawn; run through scripts/gpu-env.mjs so Dawn finds the private lavapipe driver).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'workers/**/*.test.ts'],
          exclude: ['**/*.gpu.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000, // beforeAll loads llama.cpp models: slow on 2 busy cores
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['src/**/*.gpu.test.ts'],
          pool: 'forks', // Dawn is a native addon: one process per file
          fileParallelism: false, // lavapipe already uses both cores
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
