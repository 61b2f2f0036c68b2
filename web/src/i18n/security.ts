/** Texts of the SIP security events page (operators and tenant admins), both languages; en.ts and ru.ts include them. */

export const securityEn = {
  security: {
    nav: 'Security',
    title: 'SIP security events',
    intro:
      'Failed SIP sign-ins, addresses banned for guessing passwords or blocked for sending too many requests, and scanners dropped — on this node, newest first. Phones and scanners are always answered the same, whatever the reason.',
    tenantIntro: 'Failed SIP sign-ins and bans that named your SIP domain, on this node, newest first.',
    all: 'All',
    kinds: { 'auth-failure': 'Failed sign-in', ban: 'Ban', scanner: 'Scanner', flood: 'Too many requests' },
    reasons: {
      'unknown-domain': 'unknown domain',
      'unknown-user': 'unknown user',
      'wrong-password': 'wrong password',
      banned: 'while banned',
    },
    at: 'When',
    kind: 'Event',
    address: 'Address',
    user: 'User',
    domain: 'Domain',
    request: 'Request',
    detail: 'Detail',
    until: 'until {{time}}',
    wholeAddress: 'whole address',
    bans: 'Bans in force',
    noBans: 'No address is banned now.',
    empty: 'No security events yet.',
  },
} as const;

export const securityRu = {
  security: {
    nav: 'Безопасность',
    title: 'События безопасности SIP',
    intro:
      'Неудачные входы по SIP, адреса, заблокированные за подбор паролей или за слишком частые запросы, и отброшенные сканеры — на этом узле, новые сверху. Телефоны и сканеры всегда получают одинаковый ответ, какой бы ни была причина.',
    tenantIntro:
      'Неудачные входы по SIP и блокировки, в которых был указан ваш SIP-домен, на этом узле, новые сверху.',
    all: 'Все',
    kinds: {
      'auth-failure': 'Неудачный вход',
      ban: 'Блокировка',
      scanner: 'Сканер',
      flood: 'Слишком много запросов',
    },
    reasons: {
      'unknown-domain': 'неизвестный домен',
      'unknown-user': 'неизвестный пользователь',
      'wrong-password': 'неверный пароль',
      banned: 'во время блокировки',
    },
    at: 'Когда',
    kind: 'Событие',
    address: 'Адрес',
    user: 'Пользователь',
    domain: 'Домен',
    request: 'Запрос',
    detail: 'Подробности',
    until: 'до {{time}}',
    wholeAddress: 'весь адрес',
    bans: 'Действующие блокировки',
    noBans: 'Сейчас ни один адрес не заблокирован.',
    empty: 'Событий безопасности пока нет.',
  },
} as const;
