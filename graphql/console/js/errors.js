// API errors as sentences a person can act on. A message specific to where
// the error happened wins over the general one for its code: first
// `<context>.error.<CODE>.<field>` (one code can mean different things for
// different fields), then `<context>.error.<CODE>`. Codes whose
// details matter (a rule an input broke) carry the API's own message.
import { ApiError } from './api.js';
import { has, t } from './i18n.js';

export function errorMessage(error, context) {
  if (!(error instanceof ApiError)) {
    return t('error.unexpected');
  }
  const params = { message: error.message, seconds: error.retryAfter ?? 0 };
  const specific = context
    ? [error.field && `${context}.error.${error.code}.${error.field}`, `${context}.error.${error.code}`]
    : [];
  const found = specific.find((key) => key && has(key));
  if (found) {
    return t(found, params);
  }
  if (error.code === 'RATE_LIMITED' && error.retryAfter === null) {
    return t('error.RATE_LIMITED.later');
  }
  if (has(`error.${error.code}`)) {
    return t(`error.${error.code}`, params);
  }
  return error.message;
}
