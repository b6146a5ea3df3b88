// Korean + English UI strings.
//
// Input: a language code ('ko' | 'en'). Output: strings for the UI, and `applyStatic()`, which fills
// every element carrying `data-i18n="key"` (textContent) or `data-i18n-attr="attr:key,attr:key"`.
// Default language: the saved choice (localStorage 'sori.lang'), else 'ko' when navigator.language
// starts with "ko", else 'en'. Class names come from the index (nameKo/nameEn), not from here.

/** Every UI string, per language. `{x}` placeholders are filled by `t(key, {x: …})`. */
export const STRINGS = {
  ko: {
    title: '소리 — 무슨 소리일까?',
    tagline: '들려주면 무슨 소리인지 알려 드려요 (76가지 생활 소리).',
    langSwitch: 'English',
    langSwitchLabel: 'Switch to English',
    loading: '모델을 불러오는 중…',
    ready: '준비됐어요',
    listen: '듣기',
    stop: '멈추기',
    listenHint: '버튼을 누르고 소리를 들려주세요.',
    listening: '듣는 중…',
    starting: '마이크를 켜는 중…',
    level: '소리 크기',
    peak: '주 주파수',
    spectrogram: '스펙트로그램',
    answer: '들린 소리',
    noAnswer: '아직 들은 소리가 없어요.',
    silence: '조용해요. 소리가 들리지 않아요.',
    unknown: '잘 모르는 소리예요. 76가지 중 어느 것과도 충분히 비슷하지 않아요.',
    confidence: '확신도',
    candidates: '다른 후보',
    category: '분류',
    heard: '들은 시간: {s}초',
    fingerprint: '녹음 일치: {rec} ({t}초 지점)',
    fileTitle: '파일로 확인하기',
    fileDrop: '오디오 파일을 여기에 끌어다 놓거나 눌러서 고르세요.',
    fileChoose: '파일 고르기',
    fileWorking: '분석 중: {name}',
    fileDone: '{name}: {ms} ms 만에 분석했어요.',
    timeline: '시간별로 들린 소리',
    gallery: '알아듣는 소리 76가지',
    coverage_trained: '녹음 많이 학습',
    coverage_trained_few: '녹음 조금 학습',
    coverage_zero_shot: '제로샷',
    coverage_none: '인식 불가',
    basis_zero_shot: '제로샷 추정: 이 소리는 녹음으로 배우지 않았고, AudioSet 소리 분류로 짐작한 답이에요.',
    basis_trained_few: '녹음 몇 개로만 배운 소리예요. 다른 장소나 기기에서는 틀릴 수 있어요.',
    maybe: '잘 모르겠어요 — 혹시 {name}일까요?',
    clips: '클립 {n}개',
    credits: '출처와 라이선스',
    playSound: '소리 들어 보기',
    stopSound: '멈추기',
    playNamed: '{name} 소리 듣기',
    soundCredit: '소리: {credit}',
    noSound: '이 소리는 들려 드릴 수 있는 녹음이 없어요 (라이선스가 허락하는 녹음이 없어요).',
    soundBlocked: '브라우저가 소리 재생을 막았어요. 버튼을 한 번 더 눌러 주세요.',
    soundDecode: '이 소리(Ogg Vorbis)를 풀어내지 못했어요. 페이지를 새로 고친 뒤 다시 눌러 보세요.',
    soundAudio: '이 브라우저에서는 소리를 재생할 수 없어요.',
    soundPlaying: '재생 중… 소리가 안 들리면 기기의 음량과 무음 모드를 확인해 주세요.',
    tryPrompt: '이 소리를 내 볼 수 있나요?',
    tryListening: '{name} 소리를 기다리는 중… 마이크에 소리를 들려주세요.',
    tryHeard: '아직이에요. 지금은 {heard}(으)로 들려요.',
    trySuccess: '맞아요! {name} 소리예요.',
    tryStop: '그만하기',
    soundsCredits: '참고 소리 (클래스별 녹음, 잘라서 다시 인코딩함):',
    kioskStart: '화면을 눌러 듣기 시작',
    kioskRecovering: '마이크를 다시 연결하는 중…',
    err_insecure: '이 페이지는 보안 연결(https 또는 localhost)에서만 마이크를 쓸 수 있어요. https 주소로 다시 열어 주세요.',
    err_unsupported:
      '이 브라우저는 필요한 기능({what})을 지원하지 않아요. 최신 Chrome, Edge, Firefox 또는 Safari 16.4 이상에서 열어 주세요.',
    err_mic_denied:
      '마이크 사용이 거부됐어요. 주소창의 자물쇠(또는 브라우저 설정)에서 이 사이트의 마이크를 허용한 뒤 다시 눌러 주세요.',
    err_no_mic: '마이크를 찾지 못했어요. 마이크를 연결하거나 다른 앱이 쓰고 있지 않은지 확인한 뒤 다시 눌러 주세요.',
    err_mic_busy: '마이크를 열 수 없어요 (다른 앱이 사용 중일 수 있어요). 그 앱을 닫고 다시 눌러 주세요.',
    err_mic_lost: '마이크 연결이 끊겼어요. 다시 연결하는 중이에요…',
    err_audio_start:
      '오디오를 시작하지 못했어요. 듣기 버튼을 한 번 더 눌러 주세요. 계속 안 되면 이 기기의 소리 출력(스피커나 이어폰)이 꺼져 있거나 없을 수 있어요. 연결하거나 켠 뒤 다시 눌러 주세요.',
    err_file_decode:
      '“{name}” 파일을 읽을 수 없어요. 손상됐거나 지원하지 않는 형식이에요. WAV, MP3, OGG, M4A 파일로 다시 시도해 주세요.',
    err_file_empty: '“{name}” 파일에 소리가 없어요.',
    err_analysis: '분석하지 못했어요: {msg}',
    err_load: '모델이나 색인을 불러오지 못했어요 ({what}). 인터넷 연결을 확인하고 페이지를 새로 고쳐 주세요.',
    dismiss: '닫기',
    retry: '다시 시도',
    // Teaching (www/teach.js)
    teachTitle: '소리 가르치기',
    teachIntro: '소리를 고르거나 새 이름을 붙이고, 예시를 3개 이상 녹음하거나 파일로 주세요. 가르친 소리는 이 기기에만 저장돼요.',
    teachPick: '가르칠 소리',
    teachNewSound: '새 소리 (이름 붙이기)',
    teachReplace: '원래 배운 소리 대신 이 예시로만 알아듣기 (대체)',
    teachNameKo: '한국어 이름',
    teachNameEn: '영어 이름',
    teachRecord: '● 예시 녹음 (3초)',
    teachRecordHint: '한 번 누를 때마다 예시 하나를 녹음해요. 다시 누르면 일찍 멈춰요.',
    teachRoom: '◌ 방 소리 녹음',
    teachRoomHint: '선택: 그 소리 없이 지금 방의 소리를 3초 녹음하면, 이 방에서 그 소리가 아닌 것을 함께 배워요.',
    teachRoomKept: '방 소리({s}초)를 받았어요. 다음에 배울 때 “이 소리가 아님”으로 써요.',
    teachRoomSilent: '방이 조용해서 배울 것이 없어요. 방 소리 없이 가르쳐도 돼요.',
    teachRoomStatus: '방 소리 {s}초',
    teachRoomClear: '방 소리 지우기',
    teachLearnedWithRoom: '방 소리는 “이 소리가 아님”으로 배웠어요.',
    teachCountdown: '녹음 중… {s}초 남음',
    teachFilesDrop: '예시 오디오 파일을 끌어다 놓거나 눌러서 고르세요 (여러 개 가능, 긴 파일은 5초씩 나눠요).',
    teachMicLost: '녹음하는 동안 마이크가 끊겼어요. 다시 녹음해 주세요.',
    teachRecorded: '녹음',
    teachTooShort: '너무 짧아요({s}초). 적어도 {min}초 동안 소리를 들려주세요.',
    teachSilent: '아무 소리도 들리지 않았어요. 소리에 더 가까이 가거나 소리를 키워서 다시 해 주세요.',
    teachClipped: '소리가 너무 커서 찌그러졌어요({p}%). 마이크를 조금 멀리 두거나 소리를 줄여서 다시 해 주세요.',
    teachAlready: '이미 “{name}” 소리로 확실히 들려요({p}%). 그 소리로 가르치거나 더 또렷하게 녹음해 주세요.',
    teachRetake: '이 예시는 저장하지 않았어요. 다시 녹음하거나 다른 파일을 주세요.',
    teachKept: '예시 {n}개를 받았어요.',
    teachNeedName: '새 소리의 이름(한국어나 영어)을 먼저 적어 주세요.',
    teachExample: '예시 {n} ({s}초)',
    teachPlay: '들어 보기',
    teachDiscard: '버리기',
    teachLearn: '배우기 (예시 {n}/{min})',
    teachLearned: '“{name}”을(를) 배웠어요 (예시 {n}개, {ms} ms). 이제 들려주면 알아들어요.',
    teachTaughtTitle: '가르친 소리',
    teachEmpty: '아직 가르친 소리가 없어요.',
    teachMode_new: '새 소리',
    teachMode_strengthen: '기존 소리 보강',
    teachMode_replace: '기존 소리 대체',
    teachRemoveClass: '이 소리 지우기',
    teachRemoveExample: '이 예시 지우기',
    teachRename: '이름 바꾸기',
    teachConfirmRemove: '“{name}”을(를) 지울까요? 예시도 함께 지워져요.',
    teachConfirmReset: '가르친 소리를 모두 지우고 처음 상태로 돌아갈까요?',
    teachResetDone: '가르친 소리를 모두 지웠어요. 처음 76가지 소리만 알아들어요.',
    teachExport: '내보내기',
    teachExportAudio: '예시 소리도 함께',
    teachImport: '가져오기',
    teachReset: '처음 상태로',
    teachNothingToExport: '내보낼 가르친 소리가 없어요.',
    teachExported: '가르친 소리를 파일로 내보냈어요 ({kb} kB).',
    teachImported: '“{name}”에서 가르친 소리 {n}개를 가져왔어요.',
    teachNotSaved: '기기에 저장하지 못했어요 (지금 화면에서는 쓸 수 있어요).',
    teachErrNotAPack: 'Sori의 “가르친 소리” 파일이 아니에요. Sori에서 내보낸 파일을 골라 주세요. 가르친 소리는 그대로예요.',
    teachErrNewer: '더 새 버전의 Sori가 만든 파일이에요. 이 기기의 Sori를 업데이트해 주세요. 가르친 소리는 그대로예요.',
    teachErrOlder: '예전 형식의 파일이라 읽을 수 없어요. 소리를 다시 가르쳐 주세요. 가르친 소리는 그대로예요.',
    teachErrOtherAnalysis: '다른 분석 설정으로 만든 파일이라 여기서 쓸 수 없어요. 소리를 다시 가르쳐 주세요. 가르친 소리는 그대로예요.',
    teachErrTruncated: '파일이 끝까지 있지 않아요(잘렸어요). 다시 복사하거나 내려받아 주세요. 가르친 소리는 그대로예요.',
    teachErrDamaged: '파일이 손상됐어요(검사합이 맞지 않아요). 다시 복사하거나 내려받아 주세요. 가르친 소리는 그대로예요.',
    teachErrCorrupt: '파일 내용이 올바르지 않아요 ({what}). 가르친 소리는 그대로예요.',
    teachErrOtherIndex: '다른 색인에 맞춰 만든 소리라 다시 배우지 못했어요 ({what}).',
    teachErrNotTeachable: '이 색인으로는 소리를 가르칠 수 없어요 (가르치기 자료가 없어요).',
    teachErrNoExamples: '쓸 수 있는 예시가 없어요. 소리가 들어 있는 예시를 주세요.',
    teachErrUnknownClass: '그런 소리가 목록에 없어요. 목록에서 고르거나 새 소리로 가르쳐 주세요.',
    teachErrBadName: '이 이름은 쓸 수 없어요 (비었거나 이미 있는 소리예요). 다른 이름을 적어 주세요.',
    teachErrTooMany: '가르친 소리가 너무 많아요. 하나를 지운 뒤 다시 해 주세요.',
    teachErrAudio: '이 소리는 쓸 수 없어요 ({what}).',
    teachErrFileEmpty: '빈 파일이에요. 소리가 들어 있는 파일을 골라 주세요.',
    teachErrStorageUnavailable: '이 브라우저에서는 기기에 저장할 수 없어요 (사생활 보호 모드이거나 저장이 막혔어요). 가르친 소리는 이 화면을 닫으면 사라져요. 내보내기로 파일에 남겨 두세요.',
    teachErrStorageQuota: '기기의 저장 공간이 모자라요. 이미 저장한 것은 그대로예요. 공간을 비우거나 예시를 줄인 뒤 다시 해 주세요.',
    teachErrStorageFailed: '기기에 저장하지 못했어요 ({what}). 이미 저장한 것은 그대로예요.',
    teachErrInternal: '문제가 생겼어요 ({what}). 가르친 소리는 그대로예요.',
    basis_taught: '이 기기에서 가르친 소리로 알아들었어요.',
    coverage_taught: '가르친 소리',
  },
  en: {
    title: 'Sori — what sound is this?',
    tagline: 'Let it listen and it tells you what the sound is (76 everyday sounds).',
    langSwitch: '한국어',
    langSwitchLabel: '한국어로 보기',
    loading: 'Loading the model…',
    ready: 'Ready',
    listen: 'Listen',
    stop: 'Stop',
    listenHint: 'Press the button and play a sound.',
    listening: 'Listening…',
    starting: 'Starting the microphone…',
    level: 'Level',
    peak: 'Peak',
    spectrogram: 'Spectrogram',
    answer: 'What I heard',
    noAnswer: 'Nothing heard yet.',
    silence: 'It is quiet. No sound to recognise.',
    unknown: 'I don’t know this sound. It is not close enough to any of the 76 classes.',
    confidence: 'Confidence',
    candidates: 'Other candidates',
    category: 'Category',
    heard: 'Heard for {s} s',
    fingerprint: 'Recording match: {rec} (at {t} s)',
    fileTitle: 'Check a file',
    fileDrop: 'Drop an audio file here, or click to choose one.',
    fileChoose: 'Choose a file',
    fileWorking: 'Analysing {name}…',
    fileDone: '{name}: analysed in {ms} ms.',
    timeline: 'What was heard when',
    gallery: 'The 76 sounds Sori knows',
    coverage_trained: 'many recordings',
    coverage_trained_few: 'few recordings',
    coverage_zero_shot: 'zero-shot',
    coverage_none: 'not recognised',
    basis_zero_shot: 'Zero-shot guess: no recordings of this sound were learned; the answer is inferred from AudioSet sound labels.',
    basis_trained_few: 'Learned from only a few recordings: it may be wrong in other rooms or on other devices.',
    maybe: 'Not sure — maybe {name}?',
    clips: '{n} clips',
    credits: 'Credits and licences',
    playSound: 'Play its sound',
    stopSound: 'Stop',
    playNamed: 'Play the sound of {name}',
    soundCredit: 'Sound: {credit}',
    noSound: 'There is no recording of this sound to play (none whose licence allows it).',
    soundBlocked: 'The browser blocked playback. Tap the button once more.',
    soundDecode: "This sound (Ogg Vorbis) could not be decoded. Reload the page and try again.",
    soundAudio: "This browser can't play sounds.",
    soundPlaying: "Playing… if you hear nothing, check the device's volume and silent mode.",
    tryPrompt: 'Can you make this sound?',
    tryListening: 'Listening for {name}… make the sound near the microphone.',
    tryHeard: 'Not yet: that sounds like {heard}.',
    trySuccess: 'Yes! That is {name}.',
    tryStop: 'Stop',
    soundsCredits: 'Reference sounds (one recording per class, cut and re-encoded):',
    kioskStart: 'Tap the screen to start listening',
    kioskRecovering: 'Reconnecting the microphone…',
    err_insecure:
      'The microphone only works on a secure page (https or localhost). Open this page through its https address.',
    err_unsupported:
      'This browser lacks a feature Sori needs ({what}). Use a current Chrome, Edge, Firefox, or Safari 16.4 or newer.',
    err_mic_denied:
      'Microphone access was denied. Allow the microphone for this site (padlock icon in the address bar, or browser settings), then press Listen again.',
    err_no_mic: 'No microphone found. Plug one in (or check that another app is not using it), then press Listen again.',
    err_mic_busy: 'The microphone could not be opened (another app may be using it). Close that app and press Listen again.',
    err_mic_lost: 'The microphone was disconnected. Reconnecting…',
    err_audio_start:
      'Audio could not start. Tap Listen once more. If it keeps failing, this device’s sound output (speakers or headphones) may be off or missing: connect or turn it on, then tap again.',
    err_file_decode:
      'Could not read “{name}”: the file is damaged or in an unsupported format. Try a WAV, MP3, OGG or M4A file.',
    err_file_empty: '“{name}” contains no audio.',
    err_analysis: 'Analysis failed: {msg}',
    err_load: 'Could not load the model or the index ({what}). Check your connection and reload the page.',
    dismiss: 'Dismiss',
    retry: 'Try again',
    // Teaching (www/teach.js)
    teachTitle: 'Teach Sori a sound',
    teachIntro: 'Pick a sound or name a new one, then record or drop at least 3 examples. What you teach is kept on this device only.',
    teachPick: 'Sound to teach',
    teachNewSound: 'A new sound (name it)',
    teachReplace: 'Recognise it from these examples only, instead of what Sori shipped with (replace)',
    teachNameKo: 'Korean name',
    teachNameEn: 'English name',
    teachRecord: '● Record an example (3 s)',
    teachRecordHint: 'Each tap records one example. Tap again to stop early.',
    teachRoom: '◌ Record the room',
    teachRoomHint: 'Optional: 3 s of the room as it is, without the sound, so Sori also learns what in this room is not it.',
    teachRoomKept: 'Room sound kept ({s} s): learned as “not this sound” from now on.',
    teachRoomSilent: 'The room is quiet: nothing to learn from it. Teaching without it is fine.',
    teachRoomStatus: 'Room sound {s} s',
    teachRoomClear: 'Forget the room',
    teachLearnedWithRoom: 'The room’s sound was learned as “not this sound”.',
    teachCountdown: 'Recording… {s} s left',
    teachFilesDrop: 'Drop example audio files here or tap to choose (several at once; long files are cut into 5 s examples).',
    teachMicLost: 'The microphone was lost while recording. Record again.',
    teachRecorded: 'Recording',
    teachTooShort: 'Too short ({s} s): give at least {min} s of the sound.',
    teachSilent: 'Nothing was heard: move closer to the sound or turn it up, and try again.',
    teachClipped: 'The sound is clipped ({p}% at full scale): move the microphone away or turn it down, and try again.',
    teachAlready: 'This already sounds like “{name}” ({p}% sure): teach it as that sound, or record it more clearly.',
    teachRetake: 'This example was not kept: record it again or give another file.',
    teachKept: '{n} example(s) kept.',
    teachNeedName: 'Type the new sound’s name (Korean or English) first.',
    teachExample: 'Example {n} ({s} s)',
    teachPlay: 'Play',
    teachDiscard: 'Discard',
    teachLearn: 'Learn (examples {n}/{min})',
    teachLearned: 'Learned “{name}” ({n} examples, {ms} ms). Sori now recognises it.',
    teachTaughtTitle: 'Taught sounds',
    teachEmpty: 'Nothing taught yet.',
    teachMode_new: 'new sound',
    teachMode_strengthen: 'strengthens a listed sound',
    teachMode_replace: 'replaces a listed sound',
    teachRemoveClass: 'Remove this sound',
    teachRemoveExample: 'Remove this example',
    teachRename: 'Rename',
    teachConfirmRemove: 'Remove “{name}” and its examples?',
    teachConfirmReset: 'Remove every taught sound and go back to the shipped sounds?',
    teachResetDone: 'Every taught sound was removed: Sori knows its 76 sounds only.',
    teachExport: 'Export',
    teachExportAudio: 'with the example audio',
    teachImport: 'Import',
    teachReset: 'Reset to shipped sounds',
    teachNothingToExport: 'Nothing taught to export.',
    teachExported: 'Taught sounds exported to a file ({kb} kB).',
    teachImported: 'Imported {n} taught sound(s) from “{name}”.',
    teachNotSaved: 'Could not keep this on the device (it works on this page for now).',
    teachErrNotAPack: 'Not a Sori file of taught sounds: choose a file Sori exported. Your taught sounds are unchanged.',
    teachErrNewer: 'This file was made by a newer version of Sori: update Sori on this device. Your taught sounds are unchanged.',
    teachErrOlder: 'This file uses an old format that cannot be read: teach the sounds again. Your taught sounds are unchanged.',
    teachErrOtherAnalysis: 'This file was made with other analysis settings and cannot be used here: teach the sounds again. Your taught sounds are unchanged.',
    teachErrTruncated: 'This file is incomplete (cut short): copy or download it again. Your taught sounds are unchanged.',
    teachErrDamaged: 'This file is damaged (a checksum does not match): copy or download it again. Your taught sounds are unchanged.',
    teachErrCorrupt: 'This file’s content is not valid ({what}). Your taught sounds are unchanged.',
    teachErrOtherIndex: 'These sounds were taught for another index and could not be re-learned ({what}).',
    teachErrNotTeachable: 'This index cannot be taught (it has no teaching data).',
    teachErrNoExamples: 'No usable example: give examples with the sound in them.',
    teachErrUnknownClass: 'There is no such sound in the list: pick one or teach a new sound.',
    teachErrBadName: 'This name cannot be used (empty, or already a sound): choose another.',
    teachErrTooMany: 'Too many taught sounds: remove one first.',
    teachErrAudio: 'This audio cannot be used ({what}).',
    teachErrFileEmpty: 'The file is empty: choose one with sound in it.',
    teachErrStorageUnavailable: 'This browser cannot keep data on the device (private mode, or storage blocked): taught sounds will be gone when the page closes. Export them to a file to keep them.',
    teachErrStorageQuota: 'The device is out of storage space. What was kept before is unchanged: free some space or use fewer examples, then try again.',
    teachErrStorageFailed: 'Could not keep this on the device ({what}). What was kept before is unchanged.',
    teachErrInternal: 'Something went wrong ({what}). Your taught sounds are unchanged.',
    basis_taught: 'Recognised from a sound taught on this device.',
    coverage_taught: 'taught here',
  },
};

/** The supported languages, in switch order. */
export const LANGS = ['ko', 'en'];

let current = 'en';

/** Picks the starting language: saved choice, else navigator.language (ko* → 'ko'), else 'en'. */
export function defaultLang(nav = globalThis.navigator, storage = safeStorage()) {
  const saved = storage?.getItem('sori.lang');
  if (saved && LANGS.includes(saved)) return saved;
  const langs = nav?.languages?.length ? nav.languages : [nav?.language ?? 'en'];
  return String(langs[0] ?? 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

/** The current language code. */
export function lang() {
  return current;
}

/** Sets the language (unknown codes fall back to 'en'), remembers it, and updates `<html lang>`. */
export function setLang(code) {
  current = LANGS.includes(code) ? code : 'en';
  safeStorage()?.setItem('sori.lang', current);
  document.documentElement.lang = current;
  return current;
}

/** Looks up `key` in the current language (falls back to English, then the key) and fills `{x}` slots. */
export function t(key, params = {}) {
  const s = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** Fills static text: `data-i18n="key"` → textContent; `data-i18n-attr="aria-label:key,title:key"` → attributes. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':').map((x) => x.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  document.title = t('title');
}

function safeStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // Storage blocked (private mode, sandbox): the choice simply is not remembered.
  }
}
