/** Texts of the SIP security events page (operators and tenant admins), both languages; en.ts and ru.ts include them. */

export const securityEn = {
  security: {
    nav: 'Security',
    title: 'SIP security events',
    intro:
      'Failed SIP sign-ins, addresses banned for guessing passwords or blocked for sending too many requests, scanners dropped, connections and work refused at the node’s limits — on this node, newest first. Phones and scanners are always answered the same, whatever the reason. A ban lifted here is lifted on every node.',
    tenantIntro:
      'Failed SIP sign-ins, bans and floods that named your SIP domain, on this node, newest first. You can lift a ban of one of your users early.',
    all: 'All',
    kinds: {
      'auth-failure': 'Failed sign-in',
      ban: 'Ban',
      unban: 'Ban lifted',
      scanner: 'Scanner',
      flood: 'Too many requests',
      'tenant-flood': 'Domain over its rate',
      'connection-limit': 'Too many connections',
      overload: 'Node at a limit',
    },
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
    tenantBans: 'Bans of your users in force',
    noBans: 'No address is banned now.',
    lift: 'Lift',
    liftLabel: 'Lift the ban of {{user}} from {{ip}}',
    liftedBy: 'lifted by {{who}}',
    empty: 'No security events yet.',
  },
} as const;

export const securityRu = {
  security: {
    nav: 'Безопасность',
    title: 'События безопасности SIP',
    intro:
      'Неудачные входы по SIP, адреса, заблокированные за подбор паролей или за слишком частые запросы, отброшенные сканеры, соединения и запросы, отклонённые на пределах узла, — на этом узле, новые сверху. Телефоны и сканеры всегда получают одинаковый ответ, какой бы ни была причина. Снятая здесь блокировка снимается на всех узлах.',
    tenantIntro:
      'Неудачные входы по SIP, блокировки и перегрузки, в которых был указан ваш SIP-домен, на этом узле, новые сверху. Блокировку вашего пользователя можно снять досрочно.',
    all: 'Все',
    kinds: {
      'auth-failure': 'Неудачный вход',
      ban: 'Блокировка',
      unban: 'Блокировка снята',
      scanner: 'Сканер',
      flood: 'Слишком много запросов',
      'tenant-flood': 'Домен превысил лимит запросов',
      'connection-limit': 'Слишком много соединений',
      overload: 'Узел на пределе',
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
    tenantBans: 'Действующие блокировки ваших пользователей',
    noBans: 'Сейчас ни один адрес не заблокирован.',
    lift: 'Снять',
    liftLabel: 'Снять блокировку {{user}} с адреса {{ip}}',
    liftedBy: 'снял(а) {{who}}',
    empty: 'Событий безопасности пока нет.',
  },
} as const;
