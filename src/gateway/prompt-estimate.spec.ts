import { estimatePrompt, imageTokens, imageTokensUnder, MAX_IMAGE_TOKENS, promptTokensUnder } from './prompt-estimate';

/** A PNG as far as its size goes (signature and IHDR). */
function png(width: number, height: number): string {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.set([8, 2, 0, 0, 0], 16);
  return `data:image/png;base64,${Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]).toString('base64')}`;
}

const user = (content: unknown) => ({ messages: [{ role: 'user' as const, content: content as string }] });

describe('prompt estimate', () => {
  it('prices an image by its size, at the highest of the providers formulas, and an unknown one at the most', () => {
    expect(imageTokens(png(64, 64))).toBe(258); // Gemini's floor
    expect(imageTokens(png(512, 512), 'low')).toBe(640); // detail low is OpenAI's 85, but patch-based models bill 256 patches x 2.5
    expect(imageTokens(png(4000, 3000))).toBe(MAX_IMAGE_TOKENS);
    expect(imageTokens('https://example.com/cat.png')).toBe(MAX_IMAGE_TOKENS);
    expect(imageTokens('data:image/png;base64,bm90IGFuIGltYWdl')).toBe(MAX_IMAGE_TOKENS);
  });

  it('counts images, tools, the response_format schema, and a prediction apart', () => {
    const base = estimatePrompt(user('hi')).tokens;
    expect(estimatePrompt(user([{ type: 'image_url', image_url: { url: png(64, 64) } }]))).toMatchObject({ images: 1, tokens: 4 + 258 });
    expect(
      estimatePrompt({ ...user('hi'), tools: [{ type: 'function', function: { name: 'f', description: 'd'.repeat(300) } }] }).tokens,
    ).toBeGreaterThan(base + 100);
    expect(
      estimatePrompt({ ...user('hi'), response_format: { type: 'json_schema', json_schema: { schema: { description: 'd'.repeat(300) } } } })
        .tokens,
    ).toBeGreaterThan(base + 100);
    expect(estimatePrompt({ ...user('hi'), prediction: { type: 'content', content: 'p'.repeat(300) } })).toMatchObject({
      tokens: base,
      predictionTokens: 100,
    });
  });

  it('counts a PDF as a token a byte plus every page as an image, and audio at the longest it can last', () => {
    const pdf = Buffer.from(
      '%PDF-1.7\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >>\n2 0 obj << /Type /Page >>\n3 0 obj << /Type/Page >>\n',
    );
    const file = { type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdf.toString('base64')}` } };
    expect(estimatePrompt(user([file])).tokens).toBe(4 + pdf.length + 2 * MAX_IMAGE_TOKENS);
    const audio = { type: 'input_audio', input_audio: { data: Buffer.alloc(10_000).toString('base64'), format: 'wav' } };
    expect(estimatePrompt(user([audio])).tokens).toBe(4 + 320); // 10 s at 8 kbit/s, 32 tokens a second
  });

  it("counts images again at an endpoint's own token counts, never below the common estimate", () => {
    const mini = { base: 2833, tile: 5667 };
    const estimate = estimatePrompt(
      user([
        { type: 'text', text: 'hi' },
        { type: 'image_url', image_url: { url: png(2048, 768), detail: 'high' } },
        { type: 'image_url', image_url: { url: png(100, 100), detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ]),
    );
    expect(estimate.imageParts.map((i) => imageTokensUnder(mini, i))).toEqual([2833 + 8 * 5667, 2833, 2833 + 8 * 5667]);
    const common = estimate.imageParts.reduce((n, i) => n + i.tokens, 0);
    expect(promptTokensUnder(mini, estimate)).toBe(estimate.tokens - common + 3 * 2833 + 16 * 5667);
    expect(promptTokensUnder(null, estimate)).toBe(estimate.tokens);
    // gpt-4o's own counts are below the common estimate, which stays.
    expect(promptTokensUnder({ base: 85, tile: 170 }, estimate)).toBe(estimate.tokens);
  });

  it("counts a PDF's pages as images of unknown size at an endpoint's own counts", () => {
    const pdf = Buffer.from('%PDF-1.7\n2 0 obj << /Type /Page >>\n3 0 obj << /Type/Page >>\n');
    const estimate = estimatePrompt(
      user([{ type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdf.toString('base64')}` } }]),
    );
    expect(estimate.images).toBe(0);
    expect(promptTokensUnder({ base: 2833, tile: 5667 }, estimate)).toBe(estimate.tokens + 2 * (2833 + 8 * 5667 - MAX_IMAGE_TOKENS));
  });
});
