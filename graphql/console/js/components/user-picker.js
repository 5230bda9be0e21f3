// Choosing one user by typing part of a name, username, email or id: a
// combobox over the simple search (debounced), usable by keyboard alone
// (arrows, Enter, Escape). Without `users:read` nobody can be searched, so
// it falls back to a plain field for an id.
import { run } from '../api.js';
import { displayName } from '../audit-view.js';
import { debounce } from '../debounce.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { Component, html } from '../ui.js';

const SEARCH_DELAY_MS = 250;

/// Props: `id` (prefix of the element ids), `label`, `value` (the chosen
/// user's id, or ''), `canSearch`, `onChange(id)` ('' clears).
export class UserPicker extends Component {
  constructor(props) {
    super(props);
    this.state = { text: '', options: [], active: -1, open: false, chosen: null, error: null };
    this.request = 0;
    this.searchLater = debounce((text) => this.search(text), SEARCH_DELAY_MS);
  }

  componentDidMount() {
    this.describe();
  }

  componentDidUpdate(previous) {
    if (previous.value !== this.props.value) {
      this.describe();
    }
  }

  componentWillUnmount() {
    this.searchLater.cancel();
    this.request += 1;
  }

  /// Loads the name of a user chosen elsewhere (a link, a reload).
  async describe() {
    const { value, canSearch } = this.props;
    if (!value || !canSearch || (this.state.chosen && this.state.chosen.id === value)) {
      return;
    }
    try {
      const data = await run('AuditUser', { id: value });
      if (this.props.value === value) {
        this.setState({ chosen: data.user || { id: value, missing: true } });
      }
    } catch {
      // A malformed id: the log's own query reports it.
      this.setState({ chosen: { id: value, missing: true } });
    }
  }

  async search(text) {
    const request = ++this.request;
    if (!text.trim()) {
      this.setState({ options: [], open: false, active: -1 });
      return;
    }
    try {
      const data = await run('AuditUserSearch', { search: text.trim() });
      if (request === this.request) {
        this.setState({ options: data.users.nodes, open: true, active: -1, error: null });
      }
    } catch (error) {
      if (request === this.request) {
        this.setState({ options: [], open: false, error: errorMessage(error, 'audit') });
      }
    }
  }

  choose(user) {
    this.searchLater.cancel();
    this.request += 1;
    this.setState({ chosen: user, text: '', options: [], open: false, active: -1 });
    this.props.onChange(user.id);
  }

  clear = () => {
    this.setState({ chosen: null });
    this.props.onChange('');
  };

  onInput = (event) => {
    const text = event.currentTarget.value;
    this.setState({ text });
    this.searchLater(text);
  };

  onKeyDown = (event) => {
    const { options, active, open } = this.state;
    if (event.key === 'ArrowDown' && options.length > 0) {
      event.preventDefault();
      this.setState({ open: true, active: (active + 1) % options.length });
    } else if (event.key === 'ArrowUp' && options.length > 0) {
      event.preventDefault();
      this.setState({ open: true, active: active <= 0 ? options.length - 1 : active - 1 });
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (open && options[Math.max(active, 0)]) {
        this.choose(options[Math.max(active, 0)]);
      }
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      this.setState({ open: false, active: -1 });
    }
  };

  onIdChange = (event) => {
    this.props.onChange(event.currentTarget.value.trim());
  };

  render({ id, label, value, canSearch }, { text, options, active, open, chosen, error }) {
    if (!canSearch) {
      return html`
        <div class="picker">
          <label for=${id}>${label}</label>
          <input id=${id} type="text" autocomplete="off" value=${value}
            placeholder=${t('audit.userIdPlaceholder')} onChange=${this.onIdChange} />
        </div>
      `;
    }
    if (value) {
      const known = chosen && chosen.id === value ? chosen : null;
      const name = known && !known.missing ? displayName(known) : value;
      return html`
        <div class="picker">
          <span class="label" id=${`${id}-label`}>${label}</span>
          <span class="chosen" id=${`${id}-chosen`} aria-labelledby=${`${id}-label`}>
            ${name}
            ${known && known.missing && html` <span class="badge deleted">${t('audit.deletedUser')}</span>`}
          </span>
          <button type="button" class="secondary clear" id=${`${id}-clear`} onClick=${this.clear}
            aria-label=${t('audit.clearUser', { label })}>×</button>
        </div>
      `;
    }
    const listbox = `${id}-options`;
    return html`
      <div class="picker">
        <label for=${id}>${label}</label>
        <input
          id=${id}
          type="search"
          role="combobox"
          autocomplete="off"
          aria-autocomplete="list"
          aria-expanded=${open ? 'true' : 'false'}
          aria-controls=${listbox}
          aria-activedescendant=${open && active >= 0 ? `${listbox}-${active}` : undefined}
          aria-describedby=${error ? `${id}-error` : undefined}
          placeholder=${t('audit.pickPlaceholder')}
          value=${text}
          onInput=${this.onInput}
          onKeyDown=${this.onKeyDown}
          onBlur=${() => this.setState({ open: false })}
        />
        <ul id=${listbox} role="listbox" class="options" aria-label=${label} hidden=${!open}>
          ${options.length === 0 && open && html`<li class="none" role="presentation">${t('audit.noUserFound')}</li>`}
          ${options.map(
            (user, index) => html`
              <li
                id=${`${listbox}-${index}`}
                role="option"
                data-id=${user.id}
                aria-selected=${index === active ? 'true' : 'false'}
                onMouseDown=${(event) => {
                  // Before the input's blur closes the list.
                  event.preventDefault();
                  this.choose(user);
                }}
              >
                ${displayName(user)}
                ${user.username && user.username !== displayName(user) && html` <span class="muted">@${user.username}</span>`}
              </li>
            `,
          )}
        </ul>
        ${error && html`<p class="error" id=${`${id}-error`} role="alert">${error}</p>`}
      </div>
    `;
  }
}
