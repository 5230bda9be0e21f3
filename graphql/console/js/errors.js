// API errors as sentences a person can act on. A message specific to where
// the error happened (`<context>.error.<CODE>`) wins over the general one
// for its code; codes whose details matter (a rule an input broke) carry
// the API's own message.
import { ApiError } from './api.js';
import { has, t } from './i18n.js';

export function errorMessage(error, context) {
  if (!(error instanceof ApiError)) {
    return t('error.unexpected');
  }
  const params = { message: error.message, seconds: error.retryAfter ?? 0 };
  const specific = context ? `${context}.error.${error.code}` : null;
  if (specific && has(specific)) {
    return t(specific, params);
  }
  if (error.code === 'RATE_LIMITED' && error.retryAfter === null) {
    return t('error.RATE_LIMITED.later');
  }
  if (has(`error.${error.code}`)) {
    return t(`error.${error.code}`, params);
  }
  return error.message;
}
