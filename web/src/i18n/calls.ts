/** Texts of call handling (status, follow-me, secretary, call waiting) and of the feature codes page, both languages; en.ts and ru.ts include them. */

export const callsEn = {
  callHandling: {
    nav: 'Call handling',
    title: 'Call handling',
    intro: 'Your status, who else rings when you do not answer, and who screens your calls.',
    introFor: 'Status, follow-me, status rules and secretary of extension {{number}} {{name}}.',
    extension: 'Extension',
    noTenant: 'Call handling belongs to the extensions of a tenant.',
    apiKeyNote:
      'An API key owns no extension. Open an extension from Extensions to change its call handling.',
    noExtensions: 'No extension is assigned to you.',
    staffHint: 'To change the call handling of someone else’s extension, open it from',
    readOnly: 'Your role may see these settings but not change them; ask an administrator.',
    back: 'Back to Extensions',
    forwarding: 'Call forwarding',
    forwardingHint:
      'Where calls go always, when busy, when not answered or when the phone is offline. An enabled rule needs a number.',
    openFromProfile: 'Status, follow-me and secretary: Call handling',
    openFor: 'Call handling of {{number}}',
    open: 'Call handling',
    unsaved: 'Unsaved changes',
    seconds: '{{sec}} s',

    status: 'Status',
    statusHint: 'What each status does with calls is set in the table below.',
    statuses: {
      available: 'Available',
      away: 'Away',
      lunch: 'Lunch',
      trip: 'Business trip',
      dnd: 'Do not disturb',
    },
    statusDoes: 'Internal callers: {{internal}}; external: {{external}}',
    dndDoes:
      'Every call gets busy (or the “when busy” forwarding). The status underneath stays for when it goes off.',
    fromPhone:
      'From the desk phone: {{status}} and a digit sets the status (1 available, 2 away, 3 lunch, 4 business trip); {{dndOn}} and {{dndOff}} turn Do not disturb on and off.',
    byCalendarNow: 'While the calendar “{{calendar}}” is closed, Available counts as “{{status}}”.',
    byCalendarNowUnnamed: 'While the office calendar is closed, Available counts as “{{status}}”.',
    callWaiting: 'Call waiting',
    callWaitingHint:
      'A second call rings while you are on the phone. Off: a second caller gets busy (or the “when busy” forwarding).',

    profiles: 'What each status does',
    profilesHint:
      'Separately for callers inside the company and from outside. Callers on the “always ring” list ring the phone whatever the status.',
    statusColumn: 'Status',
    callers: { internal: 'Internal callers', external: 'External callers' },
    actions: {
      ring: 'Ring the phone',
      followMe: 'Follow-me',
      busy: 'Busy',
      forward: 'Forward to a number',
    },
    does: {
      ring: 'ring the phone',
      followMe: 'follow-me',
      busy: 'busy',
      forward: 'forward to {{target}}',
    },
    actionOf: '{{status}}: {{callers}}',
    targetOf: 'Forward to ({{status}}, {{callers}})',
    targetPlaceholder: 'Extension or phone number',
    dndRow: 'Busy for everyone',
    needsSteps: 'Add follow-me steps below, or this status cannot be saved.',

    followMe: 'Follow-me',
    followMeHint:
      'When a status sends calls to follow-me, these steps ring one after another; the numbers of one step ring together.',
    followMeUnused: 'No status sends calls to follow-me yet: choose “Follow-me” in the table above.',
    ringDesk: 'Ring the desk phone throughout',
    ringDeskHint: 'The extension’s own phones ring from the first second until the last step ends',
    confirmExternal: 'Outside numbers press 1 to take the call',
    confirmExternalHint:
      'A mobile or other outside number hears who is calling and takes the call with 1, so its voicemail cannot answer for you',
    step: 'Step {{n}}',
    stepNumbers: 'Extensions to ring',
    stepNumbersPlaceholder: 'Choose extensions',
    ringSec: 'Rings for, seconds',
    addStep: 'Add a step',
    noSteps: 'No steps yet.',
    timeline: 'Who rings when',
    timelineDesk: 'Desk phone {{number}}',
    timelineStep: 'Step {{n}}: {{numbers}}',
    timelineNobody: 'nobody yet',
    timelineRange: '{{from}}–{{to}} s',
    timelineRangeLong: 'from second {{from}} to second {{to}}',
    afterTimeline: 'Not answered after {{total}} s: {{next}}.',
    nextForward: 'forwarded to {{target}} (forwarding when not answered)',
    nextNone: 'the caller hears “not available”',

    exceptions: 'Always ring for these callers',
    exceptionsLabel: 'Caller numbers',
    exceptionsHint:
      'One number a line; a trailing * matches every number that starts so (8495*). These callers ring the phone whatever the status; only Do not disturb and “forward always” come first.',
    badNumber:
      '“{{number}}” is not a phone number: digits with an optional + in front, and * at the end for a prefix.',

    byCalendar: 'Status by calendar',
    byCalendarHint:
      'While the calendar is closed and the status is Available, calls are handled as with the status chosen here.',
    byCalendarOn: 'Set the status by a calendar',
    calendar: 'Calendar',
    whenClosed: 'Status while closed',
    byCalendarSetBy: 'Set by an administrator.',
    noCalendars: 'No calendars yet: an administrator creates them under Calendars.',

    secretary: 'Secretary',
    secretaryHint:
      'Calls reach a secretary, who puts them through. The secretary’s own calls and the callers listed below come straight through.',
    secretaryOn: 'Calls go through a secretary',
    secretaryNumber: 'Secretary’s extension',
    mode: 'Who rings',
    modes: {
      secretary: 'Only the secretary',
      both: 'The secretary and this phone together',
      secretaryFirst: 'The secretary first, then this phone too',
    },
    modeHints: {
      secretary: 'Only the secretary’s phone rings; she transfers the call on when it should go through.',
      both: 'Both ring at once; whoever answers first takes the call.',
      secretaryFirst: 'The secretary’s phone rings first; after the delay below this phone rings as well.',
    },
    firstSec: 'This phone joins after, seconds',
    direct: 'Callers put straight through',
    directHint: 'One number a line; a trailing * matches a prefix.',
    timelineSecretary: 'Secretary {{number}}',
    timelineBoss: 'This phone {{number}}',
  },
  featureCodes: {
    nav: 'Feature codes',
    title: 'Feature codes',
    intro:
      'What people dial on their phones to switch a setting or reach a service. A code starts with * or # and has 2 to 8 keys; two codes may not clash.',
    readOnly: 'Your role may see the codes but not change them.',
    feature: 'Feature',
    code: 'Code',
    howTo: 'How to dial',
    defaultCode: 'Default',
    codeOf: 'Code for “{{feature}}”',
    saveNamed: 'Save the code for “{{feature}}”',
    reset: 'Reset to default',
    resetNamed: 'Reset “{{feature}}” to its default code',
    clashWith: 'Clashes with the code being saved for “{{feature}}”.',
    unknownHowTo: 'Dial {{code}}.',
    features: {
      dndOn: {
        name: 'Do not disturb on',
        howTo: 'Dial {{code}}. The phone stops ringing; callers get busy (or the “when busy” forwarding).',
      },
      dndOff: { name: 'Do not disturb off', howTo: 'Dial {{code}}: calls ring again.' },
      forwardOn: {
        name: 'Forward all calls',
        howTo:
          'Dial {{code}} and the number, e.g. {{code}}102 or {{code}}84951234567. Every call goes there until {{forwardOff}}.',
      },
      forwardOff: { name: 'Forwarding off', howTo: 'Dial {{code}} to stop forwarding all calls.' },
      status: {
        name: 'My status',
        howTo:
          'Dial {{code}} and a digit: 1 available, 2 away, 3 lunch, 4 business trip. {{code}}2 sets “Away”.',
      },
      pickup: {
        name: 'Pick up a call',
        howTo: 'Dial {{code}} to answer a call ringing a colleague in one of your ring groups.',
      },
      directedPickup: {
        name: 'Pick up an extension’s call',
        howTo: 'Dial {{code}} and the ringing extension, e.g. {{code}}102.',
      },
      intercom: {
        name: 'Intercom',
        howTo:
          'Dial {{code}} and an extension, e.g. {{code}}102: that phone answers by itself on its speaker (unless it is on Do not disturb).',
      },
      page: {
        name: 'Paging',
        howTo:
          'Dial {{code}} and a ring group’s number, e.g. {{code}}600: the free members’ phones answer by themselves and hear you, listen-only.',
      },
      parkCall: {
        name: 'Park a call',
        howTo:
          'Transfer a call to {{code}}: you hear the slot it waits in (1–9) and the caller hears music. Nobody takes it within two minutes: it rings you again.',
      },
      parkRetrieve: {
        name: 'Take a parked call',
        howTo: 'Dial {{code}} and the slot, e.g. {{code}}1, from any phone of the company.',
      },
      officeOpen: {
        name: 'Office open',
        howTo:
          'Dial {{code}} to force every calendar open, or {{code}} and a calendar’s number (1 = the first created) for one. Administrators and supervisors only.',
      },
      officeClosed: {
        name: 'Office closed',
        howTo:
          'Dial {{code}} to force every calendar closed, or {{code}} and a calendar’s number for one. Administrators and supervisors only.',
      },
      officeSchedule: {
        name: 'Office back to its schedule',
        howTo:
          'Dial {{code}} (or {{code}} and a calendar’s number) to end a forced open or closed. Administrators and supervisors only.',
      },
      echoTest: {
        name: 'Echo test',
        howTo: 'Dial {{code}} and speak: you hear yourself, which checks the microphone and the line.',
      },
      directory: {
        name: 'Dial by name',
        howTo:
          'Dial {{code}} and key the first three letters of a colleague’s name or surname (2 = ABC … 9 = WXYZ): pick them from the list read out and you are put through.',
      },
      keyReadback: {
        name: 'Key test',
        howTo:
          'Dial {{code}}, press keys and end with #: they are read back, which checks that the phone sends them.',
      },
      conference: {
        name: 'Conference room',
        howTo: 'Dial {{code}} to join the company’s conference room; * mutes and unmutes you.',
      },
    },
  },
} as const;

export const callsRu = {
  callHandling: {
    nav: 'Обработка вызовов',
    title: 'Обработка вызовов',
    intro: 'Ваш статус, кому ещё звонить, если вы не отвечаете, и кто принимает ваши вызовы первым.',
    introFor:
      'Статус, переадресация по шагам, правила статусов и секретарь внутреннего номера {{number}} {{name}}.',
    extension: 'Внутренний номер',
    noTenant: 'Обработка вызовов настраивается для внутренних номеров организации.',
    apiKeyNote:
      'У API-ключа нет своего внутреннего номера. Откройте номер в разделе «Внутренние номера», чтобы изменить обработку его вызовов.',
    noExtensions: 'За вами не закреплён ни один внутренний номер.',
    staffHint: 'Чтобы изменить обработку вызовов чужого номера, откройте его в разделе',
    readOnly: 'Ваша роль позволяет видеть эти настройки, но не менять их; обратитесь к администратору.',
    back: 'К внутренним номерам',
    forwarding: 'Переадресация',
    forwardingHint:
      'Куда идут вызовы всегда, при занятости, без ответа или когда телефон не в сети. Для включённого правила нужен номер.',
    openFromProfile: 'Статус, переадресация по шагам и секретарь: «Обработка вызовов»',
    openFor: 'Обработка вызовов номера {{number}}',
    open: 'Обработка вызовов',
    unsaved: 'Есть несохранённые изменения',
    seconds: '{{sec}} с',

    status: 'Статус',
    statusHint: 'Что делает каждый статус с вызовами, задаётся в таблице ниже.',
    statuses: {
      available: 'На месте',
      away: 'Отошёл',
      lunch: 'Обед',
      trip: 'Командировка',
      dnd: 'Не беспокоить',
    },
    statusDoes: 'Внутренние вызовы: {{internal}}; внешние: {{external}}',
    dndDoes:
      'Все звонящие слышат «занято» (или срабатывает переадресация при занятости). Статус под ним сохраняется до отключения.',
    fromPhone:
      'С рабочего телефона: {{status}} и цифра задают статус (1 на месте, 2 отошёл, 3 обед, 4 командировка); {{dndOn}} и {{dndOff}} включают и выключают «Не беспокоить».',
    byCalendarNow: 'Пока календарь «{{calendar}}» закрыт, статус «На месте» считается статусом «{{status}}».',
    byCalendarNowUnnamed: 'Пока календарь офиса закрыт, статус «На месте» считается статусом «{{status}}».',
    callWaiting: 'Ожидание вызова',
    callWaitingHint:
      'Во время разговора звонит второй вызов. Выключено: второй звонящий слышит «занято» (или срабатывает переадресация при занятости).',

    profiles: 'Что делает каждый статус',
    profilesHint:
      'Отдельно для звонков изнутри компании и снаружи. Абоненты из списка «Всегда соединять» дозваниваются при любом статусе.',
    statusColumn: 'Статус',
    callers: { internal: 'Внутренние вызовы', external: 'Внешние вызовы' },
    actions: {
      ring: 'Звонить на телефон',
      followMe: 'По шагам (follow-me)',
      busy: 'Занято',
      forward: 'Переадресовать на номер',
    },
    does: {
      ring: 'звонок на телефон',
      followMe: 'по шагам',
      busy: 'занято',
      forward: 'переадресация на {{target}}',
    },
    actionOf: '{{status}}: {{callers}}',
    targetOf: 'Переадресовать на ({{status}}, {{callers}})',
    targetPlaceholder: 'Внутренний или телефонный номер',
    dndRow: 'Занято для всех',
    needsSteps: 'Добавьте шаги ниже, иначе этот статус не сохранится.',

    followMe: 'Переадресация по шагам (follow-me)',
    followMeHint:
      'Если статус отправляет вызовы «по шагам», шаги звонят друг за другом; номера одного шага звонят одновременно.',
    followMeUnused: 'Пока ни один статус не отправляет вызовы по шагам: выберите «По шагам» в таблице выше.',
    ringDesk: 'Всё время звонить на рабочий телефон',
    ringDeskHint: 'Собственные телефоны номера звонят с первой секунды до конца последнего шага',
    confirmExternal: 'Внешний номер принимает звонок кнопкой 1',
    confirmExternalHint:
      'Мобильный или другой внешний номер слышит, кто звонит, и берёт звонок нажатием 1 — его голосовая почта не ответит вместо вас',
    step: 'Шаг {{n}}',
    stepNumbers: 'Какие номера звонят',
    stepNumbersPlaceholder: 'Выберите внутренние номера',
    ringSec: 'Звонит, секунд',
    addStep: 'Добавить шаг',
    noSteps: 'Шагов пока нет.',
    timeline: 'Кто и когда звонит',
    timelineDesk: 'Рабочий телефон {{number}}',
    timelineStep: 'Шаг {{n}}: {{numbers}}',
    timelineNobody: 'пока никто',
    timelineRange: '{{from}}–{{to}} с',
    timelineRangeLong: 'с {{from}}-й по {{to}}-ю секунду',
    afterTimeline: 'Нет ответа за {{total}} с: {{next}}.',
    nextForward: 'переадресация на {{target}} (при отсутствии ответа)',
    nextNone: 'звонящий слышит «абонент недоступен»',

    exceptions: 'Всегда соединять с этими абонентами',
    exceptionsLabel: 'Номера звонящих',
    exceptionsHint:
      'По одному номеру в строке; * в конце — все номера с таким началом (8495*). Эти абоненты дозваниваются при любом статусе; раньше них срабатывают только «Не беспокоить» и «Переадресовывать всегда».',
    badNumber:
      '«{{number}}» — не телефонный номер: нужны цифры, в начале можно +, в конце * для всех номеров с таким началом.',

    byCalendar: 'Статус по календарю',
    byCalendarHint:
      'Пока календарь закрыт, а статус — «На месте», вызовы обрабатываются как при статусе, выбранном здесь.',
    byCalendarOn: 'Менять статус по календарю',
    calendar: 'Календарь',
    whenClosed: 'Статус, пока закрыто',
    byCalendarSetBy: 'Задано администратором.',
    noCalendars: 'Календарей пока нет: их создаёт администратор в разделе «Календари».',

    secretary: 'Секретарь',
    secretaryHint:
      'Вызовы попадают к секретарю, который соединяет дальше. Звонки самого секретаря и абонентов из списка ниже проходят напрямую.',
    secretaryOn: 'Вызовы идут через секретаря',
    secretaryNumber: 'Внутренний номер секретаря',
    mode: 'Кому звонить',
    modes: {
      secretary: 'Только секретарю',
      both: 'Секретарю и на этот телефон одновременно',
      secretaryFirst: 'Сначала секретарю, потом и на этот телефон',
    },
    modeHints: {
      secretary: 'Звонит только телефон секретаря; он переводит вызов, если его нужно соединить.',
      both: 'Звонят оба телефона; вызов достаётся тому, кто ответит первым.',
      secretaryFirst: 'Сначала звонит телефон секретаря; через заданное ниже время — и этот телефон.',
    },
    firstSec: 'Этот телефон подключается через, секунд',
    direct: 'Соединять напрямую',
    directHint: 'По одному номеру в строке; * в конце — все номера с таким началом.',
    timelineSecretary: 'Секретарь {{number}}',
    timelineBoss: 'Этот телефон {{number}}',
  },
  featureCodes: {
    nav: 'Коды функций',
    title: 'Коды функций',
    intro:
      'Что набирают на телефоне, чтобы переключить настройку или вызвать службу. Код начинается с * или # и содержит от 2 до 8 знаков; коды не должны пересекаться.',
    readOnly: 'Ваша роль позволяет видеть коды, но не менять их.',
    feature: 'Функция',
    code: 'Код',
    howTo: 'Как набирать',
    defaultCode: 'По умолчанию',
    codeOf: 'Код функции «{{feature}}»',
    saveNamed: 'Сохранить код функции «{{feature}}»',
    reset: 'Вернуть по умолчанию',
    resetNamed: 'Вернуть код функции «{{feature}}» по умолчанию',
    clashWith: 'Пересекается с кодом, который сохраняется для функции «{{feature}}».',
    unknownHowTo: 'Наберите {{code}}.',
    features: {
      dndOn: {
        name: 'Включить «Не беспокоить»',
        howTo:
          'Наберите {{code}}. Телефон перестаёт звонить; звонящие слышат «занято» (или срабатывает переадресация при занятости).',
      },
      dndOff: { name: 'Выключить «Не беспокоить»', howTo: 'Наберите {{code}}: вызовы снова звонят.' },
      forwardOn: {
        name: 'Переадресовать все вызовы',
        howTo:
          'Наберите {{code}} и номер, например {{code}}102 или {{code}}84951234567. Все вызовы идут туда, пока не набран {{forwardOff}}.',
      },
      forwardOff: {
        name: 'Отключить переадресацию',
        howTo: 'Наберите {{code}}, чтобы отменить переадресацию всех вызовов.',
      },
      status: {
        name: 'Мой статус',
        howTo:
          'Наберите {{code}} и цифру: 1 на месте, 2 отошёл, 3 обед, 4 командировка. {{code}}2 ставит статус «Отошёл».',
      },
      pickup: {
        name: 'Перехват вызова',
        howTo: 'Наберите {{code}}, чтобы ответить на вызов, который звонит коллеге из вашей группы обзвона.',
      },
      directedPickup: {
        name: 'Перехват вызова с номера',
        howTo: 'Наберите {{code}} и звонящий внутренний номер, например {{code}}102.',
      },
      intercom: {
        name: 'Интерком',
        howTo:
          'Наберите {{code}} и внутренний номер, например {{code}}102: тот телефон сам ответит на громкой связи (если на нём не включено «Не беспокоить»).',
      },
      page: {
        name: 'Оповещение',
        howTo:
          'Наберите {{code}} и номер группы обзвона, например {{code}}600: телефоны свободных участников сами ответят, и вас будет слышно — только в одну сторону.',
      },
      parkCall: {
        name: 'Парковка вызова',
        howTo:
          'Переведите вызов на {{code}}: вы услышите номер места (1–9), а звонящий — музыку. Если за две минуты вызов никто не заберёт, он снова позвонит вам.',
      },
      parkRetrieve: {
        name: 'Забрать вызов с парковки',
        howTo: 'Наберите {{code}} и номер места, например {{code}}1, с любого телефона компании.',
      },
      officeOpen: {
        name: 'Офис открыт',
        howTo:
          'Наберите {{code}}, чтобы принудительно открыть все календари, или {{code}} и номер календаря (1 — созданный первым), чтобы открыть один. Только администраторы и супервизоры.',
      },
      officeClosed: {
        name: 'Офис закрыт',
        howTo:
          'Наберите {{code}}, чтобы принудительно закрыть все календари, или {{code}} и номер календаря, чтобы закрыть один. Только администраторы и супервизоры.',
      },
      officeSchedule: {
        name: 'Офис по расписанию',
        howTo:
          'Наберите {{code}} (или {{code}} и номер календаря), чтобы снять принудительное открытие или закрытие. Только администраторы и супервизоры.',
      },
      echoTest: {
        name: 'Эхо-тест',
        howTo: 'Наберите {{code}} и говорите: вы слышите себя — так проверяются микрофон и линия.',
      },
      directory: {
        name: 'Набор по имени',
        howTo:
          'Наберите {{code}} и первые три буквы имени или фамилии коллеги (2 = АБВГ … 9 = ЬЭЮЯ): выберите его из зачитанного списка — и вас соединят.',
      },
      keyReadback: {
        name: 'Проверка кнопок',
        howTo:
          'Наберите {{code}}, нажимайте кнопки и завершите #: нажатое зачитывается — так проверяется, что телефон передаёт кнопки.',
      },
      conference: {
        name: 'Конференц-комната',
        howTo:
          'Наберите {{code}}, чтобы войти в конференц-комнату компании; * выключает и включает ваш микрофон.',
      },
    },
  },
};
