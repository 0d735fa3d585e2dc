import type { SegmentDefinitionInput } from '@cdp/segments';

/**
 * The representative segments of the benchmark over the demo wallet data: the
 * first five mix a trait, a behavioural condition and a lifecycle stage or
 * churn risk (the README's three worked examples among them); the last is a
 * stress row of built-ins (churn risk and RFM tiers, whose medians span every
 * profile) without a trait.
 */
export const BENCH_SEGMENTS: Array<{ name: string; definition: SegmentDefinitionInput }> = [
  {
    name: 'new, verified, topped up twice in 7 days',
    definition: {
      conditions: [
        { type: 'lifecycle', stage: 'new' },
        { type: 'event', event: 'Top Up Completed', operator: 'gte', value: 2, window: { last: '7d' } },
        { type: 'trait', trait: 'kyc_status', operator: 'eq', value: 'verified' },
      ],
    },
  },
  {
    name: 'dormant high-value (plus/premium, ≥ 500 spent in a year)',
    definition: {
      conditions: [
        { type: 'lifecycle', stage: 'dormant' },
        { type: 'event', event: 'Purchase Completed', aggregate: { fn: 'sum', property: 'amount' }, operator: 'gte', value: 500, window: { last: '365d' } },
        { type: 'trait', trait: 'plan', operator: 'in', value: ['plus', 'premium'] },
      ],
    },
  },
  {
    name: 'active travel buyers in DE/FR (2+ in 90 days)',
    definition: {
      conditions: [
        { type: 'lifecycle', stage: 'active' },
        { type: 'event', event: 'Purchase Completed', where: [{ property: 'merchant_category', operator: 'eq', value: 'travel' }], operator: 'gte', value: 2, window: { last: '90d' } },
        { type: 'trait', trait: 'country', operator: 'in', value: ['DE', 'FR'] },
      ],
    },
  },
  {
    name: 'churned, opted in, not contacted in 30 days',
    definition: {
      conditions: [
        { type: 'lifecycle', stage: 'churned' },
        { type: 'event', event: 'Message Sent', operator: 'eq', value: 0, window: { last: '30d' } },
        { type: 'trait', trait: 'marketing_opt_in', operator: 'eq', value: true },
      ],
    },
  },
  {
    name: 'churn risk high, not contacted in 30 days, opted in',
    definition: {
      conditions: [
        { type: 'churn_risk', level: 'high' },
        { type: 'not', condition: { type: 'event', event: 'Message Sent', window: { last: '30d' } } },
        { type: 'trait', trait: 'marketing_opt_in', operator: 'eq', value: true },
      ],
    },
  },
  {
    name: 'churn risk high, not contacted, RFM important-*',
    definition: {
      conditions: [
        { type: 'churn_risk', level: 'high' },
        { type: 'not', condition: { type: 'event', event: 'Message Sent', window: { last: '30d' } } },
        { type: 'rfm', tier: ['important-value', 'important-develop', 'important-retain', 'important-win-back'] },
      ],
    },
  },
];
