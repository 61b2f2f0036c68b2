/** Titles of the API's problem codes (src/api/errors.ts) in both languages; the server's own text is English. */

export const problemsEn = {
  problem: {
    VALIDATION_FAILED: 'The request is invalid',
    MALFORMED_JSON: 'The request body is not valid JSON',
    UNAUTHENTICATED: 'Sign in or send an API key',
    INVALID_CREDENTIALS: 'Wrong email or password',
    TOTP_REQUIRED: 'A one-time code from the authenticator app is required',
    INVALID_TOTP: 'The one-time code is wrong or expired',
    FORBIDDEN: 'Your role may not do this',
    FIELD_FORBIDDEN: 'Your role may not change this field',
    NOT_FOUND: 'Not found',
    CONFLICT: 'Conflicts with existing data',
    LIMIT_REACHED: 'A limit of the tenant is reached',
    LAST_ADMIN: 'The last administrator cannot be removed or demoted',
    BODY_TOO_LARGE: 'The request body is too large',
    UNSUPPORTED_MEDIA_TYPE: 'Send the body as application/json',
    RATE_LIMITED: 'Too many attempts; wait and try again',
    INTERNAL: 'Internal error',
    DATABASE_UNAVAILABLE: 'The database is unavailable; nothing was changed',
    NETWORK_ERROR: 'The server cannot be reached',
    HTTP_ERROR: 'The server answered with an error',
  },
} as const;

export const problemsRu = {
  problem: {
    VALIDATION_FAILED: 'Запрос содержит ошибку',
    MALFORMED_JSON: 'Тело запроса — не JSON',
    UNAUTHENTICATED: 'Войдите или передайте ключ API',
    INVALID_CREDENTIALS: 'Неверная эл. почта или пароль',
    TOTP_REQUIRED: 'Нужен одноразовый код из приложения-аутентификатора',
    INVALID_TOTP: 'Одноразовый код неверен или устарел',
    FORBIDDEN: 'Вашей роли это не разрешено',
    FIELD_FORBIDDEN: 'Вашей роли нельзя менять это поле',
    NOT_FOUND: 'Не найдено',
    CONFLICT: 'Противоречит уже существующим данным',
    LIMIT_REACHED: 'Достигнут лимит организации',
    LAST_ADMIN: 'Нельзя удалить или понизить последнего администратора',
    BODY_TOO_LARGE: 'Тело запроса слишком велико',
    UNSUPPORTED_MEDIA_TYPE: 'Передавайте тело как application/json',
    RATE_LIMITED: 'Слишком много попыток; подождите и повторите',
    INTERNAL: 'Внутренняя ошибка',
    DATABASE_UNAVAILABLE: 'База данных недоступна; ничего не изменено',
    NETWORK_ERROR: 'Сервер недоступен',
    HTTP_ERROR: 'Сервер ответил ошибкой',
  },
};
