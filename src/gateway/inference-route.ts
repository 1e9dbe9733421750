import { applyDecorators, Controller, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LargeBodyAfterAuth } from '../common/http/pre-body-auth';
import { InferenceKeyGuard } from '../keys/api-key.guard';
import { InFlightLimits } from './in-flight-limits';

/** A controller of inference endpoints: under `api/v1`, behind an inference key and the in-flight limits. */
export const InferenceController = (): ClassDecorator =>
  applyDecorators(Controller('api/v1'), UseGuards(InferenceKeyGuard), UseInterceptors(InFlightLimits));

/**
 * An inference endpoint: a POST whose large body is read only after the key check, answering 200
 * (OpenAI and Anthropic answer 200, not Nest's default 201 for POST). `options` are the
 * pre-body-auth options (the key header, the error envelope).
 */
export const InferencePost = (path: string, options?: Parameters<typeof LargeBodyAfterAuth>[0]): MethodDecorator =>
  applyDecorators(Post(path), LargeBodyAfterAuth(options), HttpCode(200));

/** Sends a non-streaming result; a streamed answer has already been written by the pipeline. */
export async function sendUnlessStreamed(reply: FastifyReply, result: unknown): Promise<void> {
  if (result) await reply.send(result);
}
