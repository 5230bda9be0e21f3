// The profile form's fields and how a draft becomes the inputs of
// `updateUser` and `updateUserProfile`. A draft is a flat object of strings
// keyed by field path ('name', 'profile.address.country'); an emptied
// field is sent as null, since the API refuses empty strings.

export const IDENTIFIERS = [
  { key: 'username', autocomplete: 'username' },
  { key: 'primaryEmail', type: 'email', autocomplete: 'email' },
  { key: 'primaryPhone', type: 'tel', autocomplete: 'tel' },
];

export const BASICS = [
  { key: 'name', autocomplete: 'name' },
  { key: 'avatar', type: 'url', autocomplete: 'photo' },
];

const CLAIM_NAMES = [
  'givenName',
  'middleName',
  'familyName',
  'nickname',
  'preferredUsername',
  'profile',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
];
const ADDRESS_NAMES = ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'];

export const CLAIMS = CLAIM_NAMES.map((name) => ({ key: `profile.${name}` }));
export const ADDRESS = ADDRESS_NAMES.map((name) => ({ key: `profile.address.${name}` }));

const ALL = [...IDENTIFIERS, ...BASICS, ...CLAIMS, ...ADDRESS];

/// The form's id of the input for `key`.
export function inputId(key) {
  return `field-${key.replaceAll('.', '-')}`;
}

export function draftOf(user) {
  const draft = {};
  for (const { key } of ALL) {
    const value = key.split('.').reduce((object, part) => (object == null ? null : object[part]), user);
    draft[key] = value == null ? '' : String(value);
  }
  return draft;
}

/// The keys whose value differs between two drafts.
export function changedKeys(base, draft) {
  return ALL.map(({ key }) => key).filter((key) => base[key] !== draft[key]);
}

/// A new draft on `next` (the user as saved now) keeping what the person
/// changed from `previous` (the user the draft began from): a save
/// elsewhere on the page neither loses their edits nor keeps stale values.
export function rebase(previous, next, draft) {
  const merged = {};
  for (const { key } of ALL) {
    merged[key] = draft[key] === previous[key] ? next[key] : draft[key];
  }
  return merged;
}

/// The inputs of `updateUser` and `updateUserProfile` (null: nothing to
/// send) for what changed from `base` to `draft`.
export function inputsOf(base, draft) {
  const value = (key) => (draft[key].trim() === '' ? null : draft[key]);
  let user = null;
  let profile = null;
  for (const key of changedKeys(base, draft)) {
    const [head, second, third] = key.split('.');
    if (head !== 'profile') {
      user = { ...user, [head]: value(key) };
    } else if (second !== 'address') {
      profile = { ...profile, [second]: value(key) };
    } else {
      profile = { ...profile, address: { ...profile?.address, [third]: value(key) } };
    }
  }
  // An address whose every part is emptied is no address at all.
  if (profile?.address && ADDRESS.every(({ key }) => draft[key].trim() === '')) {
    profile.address = null;
  }
  return { user, profile };
}
