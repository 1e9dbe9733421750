import { AppError } from '../common/errors/app-error';

export const CatalogErrors = {
  /** `id` is the client's; it is echoed (JSON-quoted, bounded) so typos are easy to spot. */
  modelNotFound: (id: string) => {
    const shown = id.slice(0, 200);
    return new AppError('not_found', `Model ${JSON.stringify(shown)} not found`, { model: shown });
  },
};
