import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    disableConsoleIntercept: true, // @oclif/test reads console.log output
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Lab tests share the host's namespace table; files run one at a time to keep the 2-core box calm.
    fileParallelism: false,
  },
})
