import { costDetails, NOTHING_PRICED } from './cost-details';

describe('costDetails', () => {
  it('is the priced split when the whole priced usage is billed', () => {
    expect(costDetails({ prompt: 1_500n, completion: 2_000n }, 3_500n)).toEqual({
      upstream_inference_cost: null,
      upstream_inference_prompt_cost: 0.0000015,
      upstream_inference_completions_cost: 0.000002,
    });
  });

  it('covers the prompt side first when the bill is capped below the priced usage', () => {
    expect(costDetails({ prompt: 1_500n, completion: 2_000n }, 2_000n)).toMatchObject({
      upstream_inference_prompt_cost: 0.0000015,
      upstream_inference_completions_cost: 0.0000005,
    });
    expect(costDetails({ prompt: 1_500n, completion: 2_000n }, 1_000n)).toMatchObject({
      upstream_inference_prompt_cost: 0.000001,
      upstream_inference_completions_cost: 0,
    });
  });

  it('is zero on both sides when nothing is billed', () => {
    expect(costDetails({ prompt: 1_500n, completion: 0n }, 0n)).toMatchObject({
      upstream_inference_prompt_cost: 0,
      upstream_inference_completions_cost: 0,
    });
    expect(costDetails(NOTHING_PRICED, 0n)).toMatchObject({ upstream_inference_prompt_cost: 0, upstream_inference_completions_cost: 0 });
  });
});
