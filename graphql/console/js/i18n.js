// Translations and locale-aware formatting. The chosen language is the one
// thing the console keeps in localStorage; it defaults to the browser's.
import en from './i18n/en.js';
import fr from './i18n/fr.js';
import { read, write } from './storage.js';

const dictionaries = { en, fr };
const STORAGE_KEY = 'usergraph.console.language';
const listeners = new Set();

export const languages = [
  { code: 'en', name: 'English' },
  { code: 'fr', name: 'Français' },
];

let current = initialLanguage();
document.documentElement.lang = current;

function initialLanguage() {
  const saved = read('localStorage', STORAGE_KEY);
  if (saved && saved in dictionaries) {
    return saved;
  }
  const preferred = (navigator.languages || [navigator.language])
    .map((tag) => String(tag).slice(0, 2).toLowerCase())
    .find((code) => code in dictionaries);
  return preferred || 'en';
}

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!(code in dictionaries) || code === current) {
    return;
  }
  current = code;
  write('localStorage', STORAGE_KEY, code);
  document.documentElement.lang = code;
  listeners.forEach((listener) => listener());
}

/// Calls `listener` after each change of language; returns the unsubscribe.
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/// The text for `key` in the current language, with `{name}` placeholders
/// filled from `params` (numbers formatted for the language). With a
/// numeric `count`, a `key.one` / `key.other` variant is used when present.
export function t(key, params = {}) {
  const dictionary = dictionaries[current];
  let text;
  if (typeof params.count === 'number') {
    const form = new Intl.PluralRules(current).select(params.count);
    text = dictionary[`${key}.${form}`] ?? dictionary[`${key}.other`];
  }
  text = text ?? dictionary[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) {
      return whole;
    }
    const value = params[name];
    return typeof value === 'number' ? formatNumber(value) : String(value);
  });
}

export function formatNumber(value) {
  return new Intl.NumberFormat(current).format(value);
}

/// A connection's `totalCount`, marked when counting stopped at the
/// server's cap (`totalCountCapped`): more items match than the number.
export function formatCount({ totalCount, totalCountCapped }) {
  return totalCountCapped ? t('count.moreThan', { count: totalCount }) : formatNumber(totalCount);
}

/// A date and time from the API (RFC 3339), in the reader's time zone;
/// `timeStyle: 'medium'` adds the seconds (the audit log needs them).
export function formatDateTime(iso, { timeStyle = 'short' } = {}) {
  if (!iso) {
    return '';
  }
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle }).format(new Date(iso));
}

/// Whether `key` has a text (in the current language or in English).
export function has(key) {
  return key in dictionaries[current] || key in en;
}

/// A calendar day (`YYYY-MM-DD`, as date inputs give it), as a date alone.
export function formatDate(day) {
  const [year, month, date] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium' }).format(new Date(year, month - 1, date));
}
