import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: {
    name: 'sdk-web',
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
    environmentOptions: { jsdom: { url: 'https://www.shop.example.co.uk/products?utm_source=news&utm_campaign=spring' } },
  },
});
