import { AppError } from '../../common/errors/app-error';

export const ResponsesErrors = {
  /** The Responses API is served statelessly, as OpenRouter serves it: nothing is stored to refer back to. */
  stateless: (field: string) =>
    new AppError(
      'invalid_request',
      `${field} is not supported: this endpoint is stateless and stores no responses; send the whole conversation in input`,
      { param: field.split(/[: ]/)[0] },
    ),
  noInput: () => new AppError('invalid_request', 'input must contain at least one message'),
};
