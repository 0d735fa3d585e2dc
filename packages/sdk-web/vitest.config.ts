import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared';

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'sdk-web',
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
    environmentOptions: { jsdom: { url: 'https://www.shop.example.co.uk/products?utm_source=news&utm_campaign=spring' } },
  },
});
